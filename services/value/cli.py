"""`./dev report`: a cost-per-outcome table in the terminal, from a read model built from Kafka.

./dev report --fy 2024 [--basis invoiced] [--rule cost_share] [--group-by intervention]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import date
from typing import Any, TextIO

from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.domain.attribution import RULES
from services.value.domain.cost_per_outcome import GROUPINGS
from services.value.domain.periods import PeriodError, resolve_period
from services.value.entrypoints.consumer import catch_up
from services.value.service_layer.reports import ReportQuery, build_cost_per_outcome
from shared.events.catalogue.ledger import DEFAULT_BASIS
from shared.money import format_pounds

COLUMNS = (
    ("label", "group", 28),
    ("spend", "spend", 14),
    ("unallocated_spend_pence", "unallocated", 12),
    ("children_served", "children", 10),
    ("child_weeks", "child-weeks", 12),
    ("children_with_baseline_and_later", "measured", 10),
    ("better_off", "better off", 11),
    ("worse_off", "worse off", 10),
    ("cost_per_better_off", "£ per better off", 17),
    ("better_off_per_1000", "per £1,000", 11),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./dev report", description=__doc__)
    parser.add_argument("--fy", type=int, help="financial year: 2024 is April 2024 to March 2025")
    parser.add_argument("--quarter", type=int, choices=(1, 2, 3, 4))
    parser.add_argument("--month", help="YYYY-MM")
    parser.add_argument("--from", dest="start", type=date.fromisoformat)
    parser.add_argument("--to", dest="end", type=date.fromisoformat)
    parser.add_argument("--basis", default=DEFAULT_BASIS, choices=("accrued", "invoiced", "paid"))
    parser.add_argument("--rule", default="cost_share", choices=RULES)
    parser.add_argument("--group-by", default="intervention", choices=GROUPINGS)
    return parser


def render(report: dict[str, Any]) -> str:
    def cell(row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        if key == "unallocated_spend_pence" and isinstance(value, int):
            return format_pounds(value)
        return "-" if value is None else str(value)

    period = report["period"]
    lines = [
        f"Cost per outcome, {period['from']} to {period['to']}, {report['basis']} basis, "
        f"{report['rule'].replace('_', ' ')}, by {report['group_by'].replace('_', ' ')}",
        " ".join(
            f"{title:>{width}}" if i else f"{title:<{width}}"
            for i, (_, title, width) in enumerate(COLUMNS)
        ),
    ]
    label_width = COLUMNS[0][2]
    for row in [*report["rows"], report["total"]]:
        # a long name wraps onto lines of its own under the first, never cut short: five
        # "Independent fostering placem..." rows cannot be told apart
        name, *rest = textwrap.wrap(cell(row, "label"), label_width) or [""]
        figures = " ".join(f"{cell(row, key):>{width}}" for key, _, width in COLUMNS[1:])
        lines.append(f"{name:<{label_width}} {figures}")
        lines.extend(rest)
    lines.append(f"(counts of fewer than {report['suppression_threshold']} children suppressed)")
    if report["notice"]:
        lines.append(report["notice"])
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        period = resolve_period(
            fy=args.fy, quarter=args.quarter, month=args.month, start=args.start, end=args.end
        )
    except PeriodError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    settings = value_settings.load_worker()
    # a read model of its own, in memory, built from the topics: the API's file is the API's
    store = FactStore()
    try:
        read_model = ReadModel(store)
        catch_up(settings, read_model)
        query = ReportQuery(
            period=period,
            basis=args.basis,
            rule=args.rule,
            group_by=args.group_by,
            suppression_threshold=settings.extras["suppression_threshold"],
            baseline_window_days=settings.extras["baseline_window_days"],
        )
        # sys.stdout as it is now, not when the module was imported (a test may have replaced it)
        print(render(build_cost_per_outcome(read_model, query)), file=out or sys.stdout)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
