"""Small steps over columns the method's arrays share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int64]
Names = npt.NDArray[np.object_]  # strings, picked out by an array of positions at once


def run_starts(*keys: Rows) -> Rows:
    """Where each run of equal rows begins, in rows sorted by `keys` (columns alongside): each
    row that differs from the one before in any key."""
    if not len(keys[0]):
        return np.zeros(0, dtype=np.int64)
    differs = np.zeros(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        differs |= key[1:] != key[:-1]
    return np.flatnonzero(np.r_[True, differs])


def runs(*keys: Rows) -> list[tuple[int, int]]:
    """(start, end) of each run of equal rows, in rows sorted by `keys`."""
    first = run_starts(*keys).tolist()
    ends = [*first[1:], len(keys[0])] if first else []
    return list(zip(first, ends, strict=True))


def split_by(key: Rows, values: npt.NDArray[Any]) -> Iterator[tuple[int, npt.NDArray[Any]]]:
    """`values` split by the alongside `key`: (a key, its values in their order), by key."""
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    for start, end in runs(key):
        yield int(key[start]), values[start:end]
