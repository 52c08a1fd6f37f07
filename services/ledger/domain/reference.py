"""Small tables finance keeps through the API: framework ceilings and cost centres.

| table | key | value |
| --- | --- | --- |
| `framework_ceilings` | `<category>/<pricing model>` | the framework's highest unit price, pence |
| `cost_centres` | an intervention id | the cost centre code it is charged to |

Prices of different pricing models are not comparable, so each model has its own ceiling.

Every change is a new entry (`<table>:<key>:<n>`), never an edit, so what a table said at any
moment can be read again: as at a moment, a key holds the value of its latest entry by then, and
an entry with no value removes the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

FRAMEWORK_CEILINGS = "framework_ceilings"
COST_CENTRES = "cost_centres"
TABLES = (FRAMEWORK_CEILINGS, COST_CENTRES)
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class TableEntry:
    table: str
    key: str
    sequence: int
    value: int | str | None
    by: str
    at: datetime

    @property
    def entry_id(self) -> str:
        return f"{self.table}:{self.key}:{self.sequence}"


def ceiling_key(category: str, pricing_model: str) -> str:
    return f"{category}/{pricing_model}"


def table_as_at(
    entries: Iterable[TableEntry], table: str, moment: datetime | None = None
) -> dict[str, int | str]:
    """The table's keys and values from its entries recorded by `moment` (all, if None)."""
    latest: dict[str, TableEntry] = {}
    for entry in entries:
        if entry.table != table or (moment is not None and entry.at > moment):
            continue
        kept = latest.get(entry.key)
        if kept is None or kept.sequence < entry.sequence:
            latest[entry.key] = entry
    return {key: e.value for key, e in sorted(latest.items()) if e.value is not None}


def next_entry(
    table: str,
    key: str,
    value: int | str | None,
    history: Iterable[TableEntry],
    *,
    by: str,
    at: datetime,
) -> TableEntry:
    sequence = max((e.sequence for e in history if e.table == table and e.key == key), default=0)
    return TableEntry(table, key, sequence + 1, value, by, at)
