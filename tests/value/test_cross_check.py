"""Report figures against an independent pandas computation over the raw events of a generated
council (a few hundred children), read-model built from events arriving in shuffled order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.domain.cost_per_outcome import cost_per_outcome
from services.value.domain.model import Period
from services.value.domain.presentation import fixed_point
from services.value.service_layer.reports import ReportQuery, build_cost_per_outcome
from shared.money import round_pence
from tests.value.generator import generate
from tests.value.oracle import oracle

pytestmark = pytest.mark.integration

PERIODS = {
    "fy2024": Period(date(2024, 4, 1), date(2025, 3, 31)),
    "q3": Period(date(2024, 10, 1), date(2024, 12, 31)),  # cuts through service periods
}


@pytest.fixture(scope="module")
def council() -> dict[str, list]:
    return generate(children=300, seed=6)


@pytest.fixture(scope="module")
def read_model(council: dict[str, list]) -> Iterator[ReadModel]:
    store = FactStore()
    model = ReadModel(store)
    # interleave the topics: no order across topics is promised
    streams = [list(events) for events in council.values()]
    while any(streams):
        for stream in streams:
            if stream:
                model.apply(stream.pop())
    yield model
    store.close()


@pytest.mark.parametrize(
    ("name", "basis"), [("fy2024", "invoiced"), ("q3", "invoiced"), ("fy2024", "paid")]
)
def test_report_matches_independent_computation(
    read_model: ReadModel, council: dict[str, list], name: str, basis: str
) -> None:
    period = PERIODS[name]
    events = [e for topic in council.values() for e in topic]
    expected = oracle(events, start=period.start, end=period.end, basis=basis)
    method = cost_per_outcome(
        read_model.facts(basis), period, rule="cost_share", group_by="intervention", window_days=180
    )
    assert sorted(method.rows) == sorted(expected)
    for k, want in expected.items():
        got = method.rows[k]
        assert got.spend == want["spend"], k
        assert got.children == want["children"], k
        assert got.child_days == want["child_days"], k
        assert got.better_off == want["better_off"], k
        assert got.worse_off == want["worse_off"], k
    assert sum(r["better_off"] for r in expected.values()) > 20  # the data is not trivial

    printed = build_cost_per_outcome(
        read_model, ReportQuery(period=period, basis=basis, suppression_threshold=0)
    )
    rows = {row["group"]: row for row in printed["rows"]}
    for k, want in expected.items():
        assert rows[k]["spend_pence"] == round_pence(want["spend"])
        assert rows[k]["better_off"] == fixed_point(want["better_off"], 3)
    assert printed["total"]["spend_pence"] == round_pence(
        sum(w["spend"] for w in expected.values())
    )
    if basis == "invoiced":  # nobody is ever enrolled on int-empty: all of it is unallocated
        assert rows["int-empty"]["unallocated_spend_pence"] == rows["int-empty"]["spend_pence"] > 0
