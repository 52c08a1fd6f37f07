"""Small steps over columns the method's arrays share."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Hashable, Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Generic, TypeVar, overload

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int64]
Names = npt.NDArray[np.object_]  # strings, picked out by an array of positions at once
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class FirstSeen(Generic[K]):
    """Positions given to values in the order they are first seen (`values` lists them)."""

    def __init__(self, values: Iterable[K] = ()) -> None:
        self.values: list[K] = []
        self._at: dict[K, int] = {}
        for value in values:
            self(value)

    def __call__(self, value: K) -> int:
        at = self._at.get(value)
        if at is None:
            at = self._at[value] = len(self.values)
            self.values.append(value)
        return at


class RowObjects(Sequence[T]):
    """A sequence of facts held as columns: an object is made only for a row asked for."""

    @abstractmethod
    def _row(self, row: int) -> T:
        """The object of row `row` (0 <= row < len)."""

    @overload
    def __getitem__(self, row: int) -> T: ...
    @overload
    def __getitem__(self, row: slice) -> list[T]: ...
    def __getitem__(self, row: int | slice) -> T | list[T]:
        if isinstance(row, slice):
            return [self._row(n) for n in range(*row.indices(len(self)))]
        return self._row(range(len(self))[row])


def run_starts(*keys: Rows) -> Rows:
    """Where each run of equal rows begins, in rows sorted by `keys` (columns alongside): each
    row that differs from the one before in any key."""
    if not len(keys[0]):
        return np.zeros(0, dtype=np.int64)
    differs = np.zeros(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        differs |= key[1:] != key[:-1]
    return np.flatnonzero(np.r_[True, differs])


def distinct(values: Rows) -> Rows:
    """The sorted distinct values: what `np.unique(values)` returns, by a sort and a comparison.
    numpy 2's `unique` finds them by hashing first, three to four times slower on a report's
    tens of thousands of integers."""
    ordered = np.sort(values)
    return ordered[run_starts(ordered)]


def search_sorted(sorted_keys: Rows, keys: Rows, side: str) -> Rows:
    """`np.searchsorted(sorted_keys, keys, side)`, with the keys looked up in their order. numpy
    starts each search where the one before ended when the keys come sorted, so among a county's
    1.6M observations 80,000 keys in no order are found 2.5 times as fast, sorting them included."""
    order = np.argsort(keys)
    found: Rows = np.empty(len(keys), dtype=np.int64)
    found[order] = np.searchsorted(sorted_keys, keys[order], side=side)  # type: ignore[call-overload]
    return found


_NO_NAMES: Names = np.zeros(0, dtype=object)
_NO_ROWS: Rows = np.zeros(0, dtype=np.int64)


class ChildSet:
    """A set of children, held as the sorted positions of their names in an array of names.
    Reports count a group's children (tens of thousands in a county's year), and name them
    only for a reader who asks: a group's set is picked out of the period's columns at once,
    not made name by name."""

    __slots__ = ("at", "names")

    def __init__(self, names: Names = _NO_NAMES, at: Rows = _NO_ROWS) -> None:
        self.names, self.at = names, at

    def __len__(self) -> int:
        return len(self.at)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names[self.at].tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChildSet):
            return set(self) == set(other)
        if isinstance(other, (set, frozenset)):
            return set(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a set: equal by its members, so not hashable

    def __or__(self, other: ChildSet) -> ChildSet:
        if not len(other):
            return self
        if not len(self):
            return other
        if self.names is other.names:
            return ChildSet(self.names, np.union1d(self.at, other.at))
        names = np.array(sorted({*self, *other}), dtype=object)
        return ChildSet(names, np.arange(len(names), dtype=np.int64))

    def __repr__(self) -> str:
        return f"ChildSet({sorted(self)!r})"


def child_sets(group: Rows, child: Rows, names: Names) -> dict[int, ChildSet]:
    """The set of children in each group that has any, from `group` and `child` (positions in
    `names`) alongside: each (group, child) once, by one sort."""
    pairs = distinct(group * max(len(names), 1) + child)
    group_of, child_of = np.divmod(pairs, max(len(names), 1))
    first = run_starts(group_of).tolist()
    return {
        int(group_of[a]): ChildSet(names, child_of[a:b]) for a, b in pairwise([*first, len(pairs)])
    }
