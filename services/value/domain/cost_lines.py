"""Cost lines as columns: what the method reads of the ledger, without an object per line.

A county's ledger has over a million cost lines on each basis. As one `CostLine` object each,
with its amount and the tuples holding it, they were the largest part of a report process's
memory, and spend was allocated from them one line at a time. Here a line is six integers, its
transaction, intervention and child positions in short lists of names, and spend is allocated
from the columns at once (`services.value.domain.spend.allocate`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from services.value.domain.columns import FirstSeen, RowObjects, Rows
from services.value.domain.model import CostLine, Period

K = TypeVar("K", bound=Hashable)
Ints = npt.NDArray[np.integer[Any]]


class CostLineTable(RowObjects[CostLine]):
    """Row n is line n: `transaction_ids[transaction[n]]`, `interventions[intervention[n]]` and
    `children[child[n]]` (None there: a line on no intervention, or tagged to no child), its
    service period from `start[n]` to `end[n]` (day ordinals, both included) and `cost[n]`
    pence."""

    def __init__(
        self,
        *,
        transaction_ids: list[str],
        interventions: list[str | None],
        children: list[str | None],
        transaction: npt.ArrayLike,
        intervention: npt.ArrayLike,
        child: npt.ArrayLike,
        start: npt.ArrayLike,
        end: npt.ArrayLike,
        cost: npt.ArrayLike,
    ) -> None:
        self.transaction_ids = transaction_ids
        self.interventions = interventions
        self.children = children
        # integer columns as given: a read model holds positions and days in 32 bits
        self.transaction: Ints = np.asarray(transaction)
        self.intervention: Ints = np.asarray(intervention)
        self.child: Ints = np.asarray(child)
        self.start: Ints = np.asarray(start)
        self.end: Ints = np.asarray(end)
        self.cost: Ints = np.asarray(cost, dtype=np.int64)

    @classmethod
    def of(cls, lines: Iterable[CostLine]) -> CostLineTable:
        """The table of `lines` (itself if it is one already)."""
        if isinstance(lines, CostLineTable):
            return lines
        rows = list(lines)
        transactions: FirstSeen[str] = FirstSeen()
        interventions: FirstSeen[str | None] = FirstSeen()
        children: FirstSeen[str | None] = FirstSeen()
        columns = {
            "transaction": [transactions(line.transaction_id) for line in rows],
            "intervention": [interventions(line.intervention_id) for line in rows],
            "child": [children(line.child_ref) for line in rows],
            "start": [line.period.start.toordinal() for line in rows],
            "end": [line.period.end.toordinal() for line in rows],
            "cost": [line.cost_pence for line in rows],
        }
        return cls(
            transaction_ids=transactions.values,
            interventions=interventions.values,
            children=children.values,
            **{name: np.array(column, dtype=np.int64) for name, column in columns.items()},
        )

    def __len__(self) -> int:
        return len(self.cost)

    def _row(self, row: int) -> CostLine:
        return CostLine(
            transaction_id=self.transaction_ids[self.transaction[row]],
            intervention_id=self.interventions[self.intervention[row]],
            child_ref=self.children[self.child[row]],
            period=Period(
                date.fromordinal(int(self.start[row])), date.fromordinal(int(self.end[row]))
            ),
            cost_pence=int(self.cost[row]),
        )

    def amounts_in(self, window: Period) -> list[Fraction]:
        """Each line's amount in `window` by calendar days of its own service period (the
        ledger's view)."""
        return amounts_in(window, self.start, self.end, self.cost, self.end - self.start + 1)

    def on(self, interventions: set[str | None]) -> CostLineTable:
        """The lines on `interventions` (their names shared with this table)."""
        named = np.array([k in interventions for k in self.interventions], dtype=bool)
        rows = named[self.intervention] if len(named) else np.zeros(0, dtype=bool)
        return CostLineTable(
            transaction_ids=self.transaction_ids,
            interventions=self.interventions,
            children=self.children,
            transaction=self.transaction[rows],
            intervention=self.intervention[rows],
            child=self.child[rows],
            start=self.start[rows],
            end=self.end[rows],
            cost=self.cost[rows],
        )

    def interventions_changed_since(self, earlier: CostLineTable) -> set[str | None]:
        """The interventions whose lines differ from `earlier`'s: in number, content or order."""
        interventions, our_intervention, their_intervention = _one_naming(
            self.interventions, earlier.interventions
        )
        _, our_transaction, their_transaction = _one_naming(
            self.transaction_ids, earlier.transaction_ids
        )
        _, our_child, their_child = _one_naming(self.children, earlier.children)

        def rows(
            table: CostLineTable, intervention: Rows, transaction: Rows, child: Rows
        ) -> tuple[Rows, Rows]:
            """Each line's intervention and fields, named alike for both tables, the lines
            grouped by intervention and in table order within each."""
            at = intervention[table.intervention]
            order = np.argsort(at, kind="stable")
            fields = (transaction[table.transaction], child[table.child], table.start, table.end)
            stacked: Rows = np.stack((*fields, table.cost), axis=1)
            return at[order], stacked[order]

        ours, our_fields = rows(self, our_intervention, our_transaction, our_child)
        theirs, their_fields = rows(earlier, their_intervention, their_transaction, their_child)
        # where an intervention has as many lines in both, its lines face each other row for row
        count = len(interventions)
        alike = np.bincount(ours, minlength=count) == np.bincount(theirs, minlength=count)
        ours_alike, theirs_alike = alike[ours], alike[theirs]
        differs = np.any(our_fields[ours_alike] != their_fields[theirs_alike], axis=1)
        changed = np.union1d(np.flatnonzero(~alike), ours[ours_alike][differs])
        return {interventions[k] for k in changed.tolist()}


def amounts_in(
    window: Period, start: Ints, end: Ints, numerator: Ints, denominator: Ints
) -> list[Fraction]:
    """`numerator[n] / denominator[n]` a day over the days from `start[n]` to `end[n]` that
    fall in `window`, exactly, for each n."""
    days = np.minimum(end, window.end.toordinal()) - np.maximum(start, window.start.toordinal())
    days = np.maximum(days + 1, 0)
    return [
        Fraction(n * d, den) if d else Fraction(0)
        for n, d, den in zip(numerator.tolist(), days.tolist(), denominator.tolist(), strict=True)
    ]


def _one_naming(ours: list[K], theirs: list[K]) -> tuple[list[K], Rows, Rows]:
    """One list of the names of both lists (each holding a name once), and each list's positions
    in it. Tables a read model builds one after another name alike, later ones adding names at
    the end, so that is checked first: one comparison in C, not a lookup per name."""
    if ours[: len(theirs)] == theirs:
        return ours, np.arange(len(ours)), np.arange(len(theirs))
    names = FirstSeen(ours)
    theirs_at = np.array([names(n) for n in theirs], dtype=np.int64)
    return names.values, np.arange(len(ours)), theirs_at
