"""Reading a folder of SSDA903 CSV files (the DfE's column names, dd/mm/yyyy dates).

Only three files matter to Acorn: `header.csv` (a child's date of birth, turned into an age band
at once), `episodes.csv` and `oc2.csv`. Of each row only what Acorn needs is kept, and the child's
identifier is replaced by its keyed pseudonym as the row is read: UPNs, postcodes, URNs and
dates of birth are never held beyond the row. A child is imported whole or not at all: when one
of its rows is refused, its other rows are left out too, and each is reported.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from services.imports.domain.age_bands import age_band
from services.imports.domain.episodes import Episode, overlapping
from services.imports.domain.refusals import WHOLE_ROW, Refusal
from services.imports.domain.ssda903_codes import (
    ENDINGS,
    LEGAL_STATUSES,
    NEEDS,
    OC2_INDICATORS,
    PLACEMENTS,
    PROVIDERS,
    SDQ_RANGE,
)

HEADER, EPISODES, OC2 = "header.csv", "episodes.csv", "oc2.csv"
DATE_FORMAT = "%d/%m/%Y"
YES_NO = {"0": 0, "1": 1}


class ReturnFolderError(ValueError):
    """The folder is not an SSDA903 return Acorn can read (a file or a column is missing)."""


@dataclass
class ReturnContents:
    episodes: list[Episode] = field(default_factory=list)
    # child_ref -> (line, OC2 column -> value)
    oc2: dict[str, tuple[int, dict[str, int | None]]] = field(default_factory=dict)
    refused_children: dict[str, int] = field(default_factory=dict)  # ref -> its first refused line
    age_bands: dict[str, str] = field(default_factory=dict)  # at the child's first episode
    refusals: list[Refusal] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # file -> data rows read


Row = dict[str, str]


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, Row]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise ReturnFolderError(f"{path.name} lacks the column(s) {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _date(text: str) -> date:
    return datetime.strptime(text, DATE_FORMAT).date()


class _Checks:
    """One row's problems, by column; parsed values come back where they are valid."""

    def __init__(self, file: str, line: int, row: Row) -> None:
        self.file, self.line, self.row = file, line, row
        self.refusals: list[Refusal] = []

    def refuse(self, column: str, reason: str) -> None:
        self.refusals.append(Refusal(self.file, self.line, column, reason))

    def child(self) -> str | None:
        value = self.row["CHILD"]
        if not value:
            self.refuse("CHILD", "is blank")
        elif not value.isalnum():
            self.refuse("CHILD", "is not letters and digits only")
        else:
            return value
        return None

    def day(self, column: str, *, required: bool) -> date | None:
        value = self.row.get(column, "")
        if not value:
            if required:
                self.refuse(column, "is blank")
            return None
        try:
            return _date(value)
        except ValueError:
            self.refuse(column, "is not a date in the form dd/mm/yyyy")
            return None

    def code(self, column: str, codes: object, *, blank: bool) -> str:
        value = self.row.get(column, "")
        if (value or not blank) and value not in codes:  # type: ignore[operator]
            self.refuse(column, "is blank" if not value else "is not a code of the SSDA903 guide")
        return value

    def number(self, column: str, low: int, high: int) -> int | None:
        value = self.row.get(column, "")
        if not value:
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.refuse(column, f"is not a whole number from {low} to {high}")
            return None
        return int(value)


def read_return(folder: Path, *, pseudonym: Callable[[str], str]) -> ReturnContents:
    contents = ReturnContents()
    for name in (HEADER, EPISODES, OC2):
        if not (folder / name).is_file():
            raise ReturnFolderError(f"{folder} has no {name}")
    read = (HEADER, EPISODES, OC2)
    contents.ignored_files = sorted(
        p.name for p in folder.iterdir() if p.suffix == ".csv" and p.name not in read
    )
    born, header_lines = _read_header(folder / HEADER, pseudonym, contents)
    _read_episodes(folder / EPISODES, pseudonym, born, header_lines, contents)
    _read_oc2(folder / OC2, pseudonym, set(born), contents)
    _leave_out_refused_children(contents)
    return contents


def _read_header(
    path: Path, pseudonym: Callable[[str], str], contents: ReturnContents
) -> tuple[dict[str, date], dict[str, int]]:
    born: dict[str, date] = {}
    lines: dict[str, int] = {}
    contents.rows[HEADER] = 0
    for line, row in _rows(path, ("CHILD", "DOB")):
        contents.rows[HEADER] += 1
        checks = _Checks(HEADER, line, row)
        child, dob = checks.child(), checks.day("DOB", required=True)
        if child is None:
            contents.refusals.extend(checks.refusals)
            continue
        ref = pseudonym(child)
        if ref in lines:
            checks.refuse("CHILD", f"repeats the child of line {lines[ref]}")
        contents.refusals.extend(checks.refusals)
        if not checks.refusals and dob is not None:
            born[ref], lines[ref] = dob, line
        else:
            lines.setdefault(ref, line)
    return born, lines


def _read_episodes(
    path: Path,
    pseudonym: Callable[[str], str],
    born: dict[str, date],
    header_lines: dict[str, int],
    contents: ReturnContents,
) -> None:
    columns = ("CHILD", "DECOM", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC")
    contents.rows[EPISODES] = 0
    for line, row in _rows(path, columns):
        contents.rows[EPISODES] += 1
        checks = _Checks(EPISODES, line, row)
        child = checks.child()
        start = checks.day("DECOM", required=True)
        ceased = checks.day("DEC", required=False)
        placement = checks.code("PLACE", PLACEMENTS, blank=False)
        provider = checks.code("PLACE_PROVIDER", PROVIDERS, blank=True)
        checks.code("LS", LEGAL_STATUSES, blank=False)
        checks.code("CIN", NEEDS, blank=False)
        ending = checks.code("REC", ENDINGS, blank=True) if ceased else ""
        if start and ceased and ceased < start:
            checks.refuse("DEC", "is before DECOM")
        ref = pseudonym(child) if child else None
        if ref is not None and ref not in born:
            checks.refuse(
                "CHILD",
                f"has a refused row in header.csv (line {header_lines[ref]})"
                if ref in header_lines
                else "has no row in header.csv",
            )
        elif ref is not None and start is not None:
            if start < born[ref]:
                checks.refuse("DECOM", "is before the child's date of birth")
            elif ref not in contents.age_bands:
                contents.age_bands[ref] = age_band(born[ref], start)
        contents.refusals.extend(checks.refusals)
        if checks.refusals:
            if ref is not None:
                contents.refused_children.setdefault(ref, line)
            continue
        assert ref is not None and start is not None
        contents.episodes.append(Episode(ref, start, ceased, placement, provider, ending, line))
    for episode, earlier in overlapping(contents.episodes):
        contents.refusals.append(
            Refusal(EPISODES, episode.line, "DECOM",
                    f"starts before the child's episode on line {earlier.line} ended")
        )  # fmt: skip
        contents.refused_children.setdefault(episode.child_ref, episode.line)


def _read_oc2(
    path: Path, pseudonym: Callable[[str], str], known: set[str], contents: ReturnContents
) -> None:
    """Outcomes of every child with a valid header row: the council may record readings of a
    child it holds no enrolment for."""
    contents.rows[OC2] = 0
    for line, row in _rows(path, ("CHILD", *OC2_INDICATORS)):
        contents.rows[OC2] += 1
        checks = _Checks(OC2, line, row)
        child = checks.child()
        values: dict[str, int | None] = {}
        for column in OC2_INDICATORS:
            if column == "SDQ_SCORE":
                values[column] = checks.number(column, *SDQ_RANGE)
            else:
                code = checks.code(column, YES_NO, blank=True)
                values[column] = YES_NO.get(code)
        ref = pseudonym(child) if child else None
        if ref is not None and ref not in known:
            checks.refuse("CHILD", "has no valid row in header.csv")
        elif ref is not None and ref in contents.oc2:
            checks.refuse("CHILD", f"repeats the child of line {contents.oc2[ref][0]}")
        contents.refusals.extend(checks.refusals)
        if not checks.refusals and ref is not None:
            contents.oc2[ref] = (line, values)


def _leave_out_refused_children(contents: ReturnContents) -> None:
    """A child with a refused episode is left out whole: its other rows are reported too."""
    refused = contents.refused_children
    refused_lines = {refusal.line for refusal in contents.refusals if refusal.file == EPISODES}

    def left_out(file: str, line: int, ref: str) -> Refusal:
        why = f"left out with the child's refused episode on line {refused[ref]}"
        return Refusal(file, line, WHOLE_ROW, why)

    contents.refusals.extend(
        left_out(EPISODES, e.line, e.child_ref)
        for e in contents.episodes
        if e.child_ref in refused and e.line not in refused_lines
    )
    contents.episodes = [e for e in contents.episodes if e.child_ref not in refused]
    for ref in refused:
        if ref in contents.oc2:
            contents.refusals.append(left_out(OC2, contents.oc2.pop(ref)[0], ref))
        contents.age_bands.pop(ref, None)
    contents.refusals.sort()
