"""Small steps over columns the method's arrays share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt


def split_by(
    key: npt.NDArray[np.int64], values: npt.NDArray[Any]
) -> Iterator[tuple[int, npt.NDArray[Any]]]:
    """`values` split by the alongside `key`: (a key, its values in their order), by key."""
    if not len(key):
        return
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]).tolist()
    for start, end in zip(first, [*first[1:], len(key)], strict=True):
        yield int(key[start]), values[start:end]
