"""Every ledger transaction a report process has merged, its cost lines as columns.

A county's ledger holds some two hundred thousand transactions and well over a million cost
lines. As a `CostLine` object each, with their amounts, tuples and transaction records, they were
the largest part of a report process's memory. Here a line is six integers (its transaction,
intervention and child as positions in lists of names, its service period as day ordinals, its
cost in pence), and each basis's lines are handed to reports as a `CostLineTable`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from itertools import islice
from typing import Any

import numpy as np
import numpy.typing as npt

from services.value.adapters.observation_columns import day_ordinal
from services.value.domain.columns import FirstSeen
from services.value.domain.cost_lines import CostLineTable

# documents turned into columns at a time: a full load streams hundreds of thousands
SLICE = 50_000
LINE_COLUMNS = ("transaction", "intervention", "child", "start", "end", "cost")


class LedgerColumns:
    def __init__(self) -> None:
        self.ids: list[str] = []  # in the order merged
        self._known: set[str] = set()
        self._bases: FirstSeen[str] = FirstSeen()
        self._kinds: FirstSeen[str] = FirstSeen()
        self._interventions: FirstSeen[str | None] = FirstSeen()
        self._children: FirstSeen[str | None] = FirstSeen()
        self._basis = np.zeros(0, dtype=np.int8)  # each transaction's, in `_bases`
        self._kind = np.zeros(0, dtype=np.int8)
        self._lines = {name: np.zeros(0, dtype=np.int64) for name in LINE_COLUMNS}

    def __len__(self) -> int:
        return len(self.ids)

    def merge(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add each transaction not merged before (one is kept per id: a posting never changes;
        a correction is a reversal, a transaction of its own)."""
        rows = iter(documents)
        while batch := list(islice(rows, SLICE)):
            self._add(batch)

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        """The transactions on `basis`, by id."""
        on = self._on(basis)
        kinds = self._kinds.values
        return sorted(
            (
                {"_id": self.ids[n], "kind": kinds[self._kind[n]], "basis": basis}
                for n in np.flatnonzero(on).tolist()
            ),
            key=lambda t: t["_id"],
        )

    def lines(self, basis: str) -> CostLineTable:
        """The cost lines of the transactions on `basis`, in the order merged."""
        rows = self._on(basis)[self._lines["transaction"]]
        return CostLineTable(
            transaction_ids=list(self.ids),
            interventions=list(self._interventions.values),
            children=list(self._children.values),
            **{name: column[rows] for name, column in self._lines.items()},
        )

    def _on(self, basis: str) -> npt.NDArray[np.bool_]:
        """Whether each transaction is on `basis`."""
        if basis not in self._bases.values:
            return np.zeros(len(self.ids), dtype=bool)
        return self._basis == self._bases(basis)

    def _add(self, documents: list[dict[str, Any]]) -> None:
        new = []
        for doc in documents:
            if doc["_id"] not in self._known:
                self._known.add(doc["_id"])
                new.append(doc)
        if not new:
            return
        first = len(self.ids)
        self.ids.extend(doc["_id"] for doc in new)
        self._basis = np.r_[self._basis, [self._bases(sys.intern(d["basis"])) for d in new]]
        self._kind = np.r_[self._kind, [self._kinds(sys.intern(d["kind"])) for d in new]]
        self._basis, self._kind = self._basis.astype(np.int8), self._kind.astype(np.int8)
        added: dict[str, list[int]] = {name: [] for name in LINE_COLUMNS}
        for n, doc in enumerate(new, start=first):
            intervention = self._interventions(doc.get("intervention_id"))
            for line in doc["lines"]:
                added["transaction"].append(n)
                added["intervention"].append(intervention)
                added["child"].append(self._children(line.get("child_ref")))
                added["start"].append(day_ordinal(line["service_period_start"]))
                added["end"].append(day_ordinal(line["service_period_end"]))
                added["cost"].append(line["cost_pence"])
        columns = {name: np.array(values, dtype=np.int64) for name, values in added.items()}
        if np.any(columns["end"] < columns["start"]):
            bad = int(np.argmax(columns["end"] < columns["start"]))
            raise ValueError(
                f"transaction {self.ids[columns['transaction'][bad]]}: a cost line's service "
                "period ends before it starts"
            )
        for name, column in columns.items():
            self._lines[name] = np.concatenate((self._lines[name], column))
