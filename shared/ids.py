"""Ids for new records, the same again when a request is redone.

An API worker can die after writing a request's records but before storing its answer under
the caller's `Idempotency-Key`. The retry with that key then redoes the work
(`shared.http.idempotency`).
Inside a request claimed under a key, `new_id()` derives each id from the claim and a counter, so
the redo makes the same ids in the same order: its inserts meet the records the first attempt wrote
under their unique `_id`s, and nothing is stored twice. Outside such a request ids are random.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_NAMESPACE = uuid.UUID("6f1d7c86-8a55-4c5b-9b1e-3c0f3f0a6d21")
_claim: ContextVar[tuple[str, Iterator[int]] | None] = ContextVar("idempotent_claim", default=None)


@contextmanager
def repeatable_ids(claim: str) -> Iterator[None]:
    """Within the block, `new_id()` gives the ids a redo of the same claimed request gives."""
    token = _claim.set((claim, itertools.count()))
    try:
        yield
    finally:
        _claim.reset(token)


def new_id() -> str:
    """A UUID as text: random, or repeatable inside `repeatable_ids`."""
    state = _claim.get()
    if state is None:
        return str(uuid.uuid4())
    claim, counter = state
    return str(uuid.uuid5(_NAMESPACE, f"{claim}/{next(counter)}"))
