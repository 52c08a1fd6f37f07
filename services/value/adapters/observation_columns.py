"""Every observation a report process has merged, as columns sorted by id.

A county's read model holds some two million observations, recorded and corrections; as one
Python object each they were most of a report process's memory. Here a row is its id (UTF-8
bytes in one sorted array, which also tells a redelivered observation from a new one by
bisection) and five small integers, and the current ones are handed to reports as an
`ObservationTable` sharing that id array.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from functools import lru_cache
from itertools import islice
from typing import Any

import numpy as np
import numpy.typing as npt

from services.value.domain.columns import FirstSeen
from services.value.domain.observations import ObservationTable, current_rows

# documents turned into columns at a time: a full load streams millions, and only this many are
# Python objects at once
SLICE = 50_000
COLUMNS = ("child", "code", "day", "value", "recorded")


class ObservationColumns:
    def __init__(self) -> None:
        self._children: FirstSeen[str] = FirstSeen()
        self._codes: FirstSeen[str] = FirstSeen()
        self._times: FirstSeen[str] = FirstSeen()
        self._values: FirstSeen[str] = FirstSeen()
        self.ids: npt.NDArray[np.bytes_] = np.array([], dtype=np.bytes_)
        self._columns = {name: np.array([], dtype=np.int32) for name in COLUMNS}
        self.superseded: set[str] = set()  # ids named by a correction

    def __len__(self) -> int:
        return len(self.ids)

    def merge(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add each observation row not merged before (one is kept per id: facts do not change)."""
        rows = iter(documents)
        while batch := list(islice(rows, SLICE)):
            self._add(batch)

    def table(self, *, withdrawn: Iterable[str]) -> ObservationTable:
        """The current observations: every one that no correction supersedes and no withdrawal
        names (a set of ids, so the answer does not depend on the order events arrived in)."""
        current = current_rows(self.ids, superseded=self.superseded, withdrawn=withdrawn)
        columns = {name: column[current] for name, column in self._columns.items()}
        return ObservationTable(
            children=self._children.values,
            codes=self._codes.values,
            values=[Fraction(text) for text in self._values.values],
            recorded_times=self._times.values,
            ids=self.ids,
            id_rank=np.flatnonzero(current),
            **columns,
        )

    def _add(self, documents: list[dict[str, Any]]) -> None:
        ids = np.array([doc["_id"].encode() for doc in documents], dtype=np.bytes_)
        ids, first = np.unique(ids, return_index=True)  # sorted, each once
        if len(self.ids):
            at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
            new = self.ids[at] != ids
            ids, first = ids[new], first[new]
        if not len(ids):
            return
        kept = [documents[n] for n in first]
        for doc in kept:
            if doc.get("supersedes"):
                self.superseded.add(doc["supersedes"])
        added = {
            "child": [self._children(doc["child_ref"]) for doc in kept],
            "code": [self._codes(doc["indicator_code"]) for doc in kept],
            "day": [day_ordinal(doc["observed_on"]) for doc in kept],
            "value": [self._values(doc["value"]) for doc in kept],
            "recorded": [self._times(doc["recorded_at"]) for doc in kept],
        }
        places = np.searchsorted(self.ids, ids)
        self.ids = _inserted(self.ids, places, ids)
        for name, column in self._columns.items():
            self._columns[name] = _inserted(column, places, np.array(added[name], np.int32))


def _inserted(column: npt.NDArray[Any], places: npt.NDArray[np.int64], values: Any) -> Any:
    """`column` with `values` inserted before `places` (a new array: tables already handed out
    keep the one they were built from)."""
    if not len(column):
        return values
    if column.dtype.kind == "S" and values.dtype.itemsize > column.dtype.itemsize:
        column = column.astype(values.dtype)  # a longer id than any before
    return np.insert(column, places, values)


@lru_cache(maxsize=65_536)
def day_ordinal(text: str) -> int:
    return date.fromisoformat(text).toordinal()
