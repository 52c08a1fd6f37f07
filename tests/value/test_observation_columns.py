"""The report process's columns of observations: one row per id whatever the merges, and the
current ones handed to reports as they were recorded."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.value.adapters import observation_columns
from services.value.adapters.observation_columns import ObservationColumns
from services.value.domain.observations import _ordered


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(*[st.integers(0, 3)] * 3), max_size=30),
    packed=st.booleans(),
)
def test_rows_are_ordered_by_their_keys_then_ties_packed_or_not(
    rows: list[tuple[int, int, int]], packed: bool
) -> None:
    first, second, ties = np.array(rows, dtype=np.int64).reshape(-1, 3).T
    size = 4 if packed else 1 << 40  # too wide to pack two keys: each is sorted by in turn
    order = _ordered((first, size), (second, size), ties=ties)
    assert order.tolist() == sorted(range(len(rows)), key=rows.__getitem__)


def row(oid: str, child: str, on: str, value: str, **extra: str) -> dict[str, Any]:
    return {
        "_id": oid,
        "child_ref": child,
        "indicator_code": "attendance",
        "observed_on": on,
        "recorded_at": f"{on}T09:00:00+00:00",
        "value": value,
        **extra,
    }


def described(columns: ObservationColumns, withdrawn: list[str]) -> list[tuple[object, ...]]:
    return [
        (o.observation_id, o.child_ref, o.observed_on, o.value)
        for o in columns.table(withdrawn=withdrawn)
    ]


def test_each_id_is_one_row_however_the_merges_cut_and_repeat_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(observation_columns, "SLICE", 2)  # a redelivery across slices, too
    columns = ObservationColumns()
    columns.merge([row("b", "C2", "2025-01-03", "70"), row("a", "C1", "2025-01-03", "80")])
    columns.merge(
        [
            row("a", "C1", "2025-01-03", "80"),  # redelivered
            row("a-much-longer-id", "C1", "2025-02-03", "82.5"),  # wider than the ids so far
            row("c", "C1", "2025-03-28", "92"),
            row("b", "C2", "2025-01-03", "70"),
        ]
    )
    assert len(columns) == 4
    assert described(columns, []) == [
        ("a", "C1", date(2025, 1, 3), 80),
        ("a-much-longer-id", "C1", date(2025, 2, 3), Fraction(165, 2)),
        ("c", "C1", date(2025, 3, 28), 92),
        ("b", "C2", date(2025, 1, 3), 70),
    ]


def test_a_correction_supersedes_and_a_withdrawal_removes_whichever_came_first() -> None:
    columns = ObservationColumns()
    columns.merge([row("fix", "C1", "2025-03-28", "83", supersedes="first")])
    columns.merge([row("first", "C1", "2025-03-28", "92"), row("other", "C1", "2025-03-01", "7")])
    assert len(columns) == 3
    assert described(columns, ["other"]) == [("fix", "C1", date(2025, 3, 28), 83)]
