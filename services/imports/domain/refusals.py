"""A row that cannot be imported, and where: file, line, column and why.

A reason never repeats the value it refuses: a refused cell may hold a date of birth, a postcode
or a child's identifier, and the report of refusals is printed, saved and passed around.
"""

from __future__ import annotations

from dataclasses import dataclass

WHOLE_ROW = ""  # the column of a refusal that concerns the row, not one cell


@dataclass(frozen=True, order=True)
class Refusal:
    file: str
    line: int
    column: str
    reason: str
