"""`./dev import`: bring a council's own data into a running Acorn, through its APIs.

./dev import 903 FOLDER [--rates RATES.csv] [--year YYYY] [--check] [--refused OUT.csv]
./dev import finance EXPORT.csv --mapping MAPPING.csv [--refused OUT.csv]

The council's child identifiers become keyed pseudonyms under the secret in
ACORN_IMPORT_PSEUDONYM_KEY (at least 32 characters): keep it, and use the same one every year,
or next year's return will not find this year's children.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.imports.adapters.acorn_api import AcornApi, Refused, Unreachable
from services.imports.adapters.rates import read_rates
from services.imports.adapters.ssda903_files import ReturnFolderError
from services.imports.domain.pseudonyms import PseudonymKeyError, check_key
from services.imports.domain.refusals import Refusal
from services.imports.finance import import_finance
from services.imports.ssda903 import import_return

PSEUDONYM_KEY = "ACORN_IMPORT_PSEUDONYM_KEY"
SHOWN_REFUSALS = 20  # printed; all of them go to --refused


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="./dev import",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = parser.add_subparsers(dest="kind", required=True)
    ssda903 = kinds.add_parser("903", help="a folder of SSDA903 CSV files (header, episodes, oc2)")
    ssda903.add_argument("folder", type=Path)
    ssda903.add_argument("--rates", type=Path, help="the council's rate table (CSV)")
    ssda903.add_argument("--year", type=int, help="the return's year (2024: April 2023-March 2024)")
    ssda903.add_argument("--check", action="store_true", help="read and plan; write nothing")
    ssda903.add_argument("--refused", type=Path, help="write every refused row to this CSV")
    finance = kinds.add_parser("finance", help="a finance system's invoice lines (CSV)")
    finance.add_argument("export", type=Path)
    finance.add_argument("--mapping", type=Path, required=True, help="suppliers and cost centres")
    finance.add_argument("--refused", type=Path, help="write every refused row to this CSV")
    return parser


def write_refusals(path: Path, refusals: Sequence[Refusal]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("file", "line", "column", "reason"))
        writer.writerows((r.file, r.line, r.column, r.reason) for r in refusals)


def print_refusals(refusals: Sequence[Refusal], saved_to: Path | None) -> None:
    for r in refusals[:SHOWN_REFUSALS]:
        print(f"    {r.file} line {r.line}{' column ' + r.column if r.column else ''}: {r.reason}")
    if saved_to:
        print(f"  every refused row: {saved_to}")
    elif len(refusals) > SHOWN_REFUSALS:
        print(f"    ... and {len(refusals) - SHOWN_REFUSALS} more (--refused FILE lists them all)")


def main(argv: Sequence[str], *, api: AcornApi, environ: Mapping[str, str] = os.environ) -> int:
    args = build_parser().parse_args(argv)
    key = environ.get(PSEUDONYM_KEY, "")
    try:
        check_key(key)
    except PseudonymKeyError as error:
        print(f"{PSEUDONYM_KEY}: {error}", file=sys.stderr)
        return 2
    try:
        if args.kind == "finance":
            finance = import_finance(args.export, args.mapping, api=api, pseudonym_key=key)
            lines, refusals = finance.summary(), finance.refusals
        else:
            report = import_return(
                args.folder, api=api, pseudonym_key=key, year=args.year, check_only=args.check,
                rates=read_rates(args.rates) if args.rates else None,
                say=lambda step: print(f"  ... {step}", file=sys.stderr),
            )  # fmt: skip
            lines, refusals = report.lines(), report.refusals
    except (ReturnFolderError, Refused, Unreachable) as error:
        print(f"import stopped: {error}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    if args.refused:
        write_refusals(args.refused, refusals)
    print_refusals(refusals, args.refused)
    return 0
