"""Every ledger transaction a report process has merged, its cost lines as columns.

A county's ledger holds some two hundred thousand transactions and well over a million cost
lines. As a `CostLine` object each, with their amounts, tuples and transaction records, they were
the largest part of a report process's memory. Here a line is six integers (its transaction,
intervention and child as positions in lists of names, its service period as day ordinals, its
cost in pence), and each basis's lines are handed to reports as a `CostLineTable`.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from services.value.adapters.observation_columns import day_ordinal
from services.value.domain.columns import FirstSeen
from services.value.domain.cost_lines import CostLineTable

# positions and day ordinals fit 32 bits; pence are kept whole
LINE_TYPES = {
    "transaction": np.int32,
    "intervention": np.int32,
    "child": np.int32,
    "start": np.int32,
    "end": np.int32,
    "cost": np.int64,
}


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
        # each basis's lines apart, so a basis's table shares them rather than copying them out
        self._lines: dict[int, dict[str, npt.NDArray[np.integer[Any]]]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def merge(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add each transaction not merged before (one is kept per id: a posting never changes;
        a correction is a reversal, a transaction of its own). Documents are read one at a time
        into compact buffers: a full load streams hundreds of thousands."""
        ids: list[str] = []  # the new ones: nothing is kept until every one is read
        seen: set[str] = set()
        basis, kind = array("b"), array("b")
        added: dict[int, dict[str, array[int]]] = {}
        for doc in documents:
            if doc["_id"] in self._known or doc["_id"] in seen:
                continue
            seen.add(doc["_id"])
            n = len(self.ids) + len(ids)
            ids.append(doc["_id"])
            basis.append(self._bases(sys.intern(doc["basis"])))
            kind.append(self._kinds(sys.intern(doc["kind"])))
            lines = added.setdefault(basis[-1], {name: array("q") for name in LINE_TYPES})
            intervention = self._interventions(doc.get("intervention_id"))
            for line in doc["lines"]:
                start = day_ordinal(line["service_period_start"])
                end = day_ordinal(line["service_period_end"])
                if end < start:
                    raise ValueError(
                        f"transaction {doc['_id']}: a cost line's service_period_end "
                        f"({line['service_period_end']}) is before its service_period_start "
                        f"({line['service_period_start']})"
                    )
                lines["transaction"].append(n)
                lines["intervention"].append(intervention)
                lines["child"].append(self._children(line.get("child_ref")))
                lines["start"].append(start)
                lines["end"].append(end)
                lines["cost"].append(line["cost_pence"])
        if not ids:
            return
        self.ids.extend(ids)
        self._known |= seen
        self._basis = np.concatenate((self._basis, np.frombuffer(basis, dtype=np.int8)))
        self._kind = np.concatenate((self._kind, np.frombuffer(kind, dtype=np.int8)))
        for on, columns in added.items():
            held = self._lines.setdefault(on, {})
            for name, values in columns.items():
                column = np.frombuffer(values, dtype=np.int64).astype(LINE_TYPES[name])
                held[name] = np.concatenate((held[name], column)) if name in held else column

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
        columns = self._lines.get(self._code(basis), {})
        # the lists of names copied: a table handed out keeps the names it was built with
        return CostLineTable(
            transaction_ids=list(self.ids),
            interventions=list(self._interventions.values),
            children=list(self._children.values),
            **{
                name: columns.get(name, np.zeros(0, dtype=kind))
                for name, kind in LINE_TYPES.items()
            },
        )

    def _on(self, basis: str) -> npt.NDArray[np.bool_]:
        """Whether each transaction is on `basis`."""
        on: npt.NDArray[np.bool_] = self._basis == self._code(basis)
        return on

    def _code(self, basis: str) -> int:
        """`basis`'s position in `_bases`; -1 if no transaction is on it."""
        return self._bases.values.index(basis) if basis in self._bases.values else -1
