"""The read model on DuckDB: idempotent, order-free, facts and positions written together, and
its cache never stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.value.adapters.readmodel import ReadModel, stage
from services.value.adapters.store import FactStore
from tests.value import events as ev


@pytest.fixture
def store() -> Iterator[FactStore]:
    store = FactStore()
    yield store
    store.close()


def enrolment(version: int, end: str | None) -> Any:
    return ev.enrolment(
        "enr-1",
        intervention_id="int-a",
        provider_id="prov-oak",
        child_ref="child-1",
        start="2025-01-06",
        end=end,
        version=version,
    )


def test_snapshots_keep_the_highest_version_whatever_the_order(store: FactStore) -> None:
    model = ReadModel(store)
    for event in (enrolment(2, "2025-03-30"), enrolment(1, None), enrolment(2, "2025-03-30")):
        model.apply(event)
    [stored] = model.facts("invoiced").enrolments
    assert stored.end is not None and stored.end.isoformat() == "2025-03-30"


def test_redelivered_events_have_one_effect(store: FactStore) -> None:
    model = ReadModel(store)
    invoice = ev.worked_example()["ledger"][0]
    model.apply(invoice)
    generation = model.generation()
    model.apply(invoice)
    assert model.generation() == generation  # nothing changed, so nothing to reload
    assert [line.cost_pence for line in model.facts("invoiced").lines] == [120_000]


def test_a_correction_arriving_before_what_it_corrects_still_wins(store: FactStore) -> None:
    model = ReadModel(store)
    common = {
        "child_ref": "child-1",
        "code": "attendance",
        "on": "2025-03-28",
        "provider_id": "prov-oak",
    }
    model.apply(ev.observation("obs-2", value=83, supersedes="obs-1", **common))
    model.apply(ev.observation("obs-1", value=92, **common))
    model.apply(ev.observation("obs-3", value=70, **{**common, "on": "2025-02-01"}))
    model.apply(
        ev.withdrawal("obs-3", child_ref="child-1", code="attendance", provider_id="prov-oak")
    )
    [current] = model.facts("invoiced").observations
    assert (current.observation_id, current.value) == ("obs-2", 83)


def test_a_report_process_sees_what_the_consumer_process_wrote(store: FactStore) -> None:
    api, consumer = ReadModel(store), ReadModel(store)
    [tx_a, tx_b] = ev.worked_example()["ledger"]
    consumer.apply(tx_a)
    assert len(api.facts("invoiced").lines) == 1
    computed: list[int] = []

    def report() -> int:
        computed.append(len(computed) + 1)
        return computed[-1]

    # a report is served from the cache until something changes
    assert api.cached("report", report) == api.cached("report", report) == 1
    consumer.apply(tx_b)
    assert len(api.facts("invoiced").lines) == 2
    assert api.cached("report", report) == 2
    before = consumer.generation()
    consumer.reset()
    assert consumer.generation() > before and list(api.facts("invoiced").lines) == []


def test_a_batch_keeps_the_highest_version_and_one_copy_of_each_fact(store: FactStore) -> None:
    model = ReadModel(store)
    [tx_a, tx_b] = ev.worked_example()["ledger"]
    model.apply_batch([enrolment(1, None), tx_a, enrolment(2, "2025-03-30"), tx_a, tx_b])
    facts = model.facts("invoiced")
    [stored] = facts.enrolments
    assert stored.end is not None and stored.end.isoformat() == "2025-03-30"
    assert sorted(line.cost_pence for line in facts.lines) == [120_000, 360_000]
    # an older snapshot in a later batch changes nothing; a newer one replaces what is stored
    generation = model.generation()
    model.apply_batch([enrolment(1, None)])
    assert model.generation() == generation
    model.apply_batch([enrolment(3, "2025-02-28")])
    [stored] = model.facts("invoiced").enrolments
    assert stored.end is not None and stored.end.isoformat() == "2025-02-28"


def test_a_redelivered_batch_has_no_further_effect(store: FactStore) -> None:
    model = ReadModel(store)
    example = ev.worked_example()
    batch = [event for topic in ("ledger", "outcomes", "commissioning") for event in example[topic]]
    model.apply_batch(batch)
    generation, before = model.generation(), model.facts("invoiced")
    model.apply_batch(list(reversed(batch)))
    assert model.generation() == generation  # nothing changed, so nothing to reload
    assert model.facts("invoiced") == before


def invoice(transaction_id: str, pence: int) -> Any:
    return ev.transaction(
        transaction_id,
        intervention_id="int-a",
        provider_id="prov-oak",
        lines=[("child-1", "2025-01-06", "2025-03-30", pence)],
    )


def test_reports_are_computed_once_per_generation(store: FactStore) -> None:
    api, consumer = ReadModel(store), ReadModel(store)
    consumer.apply(invoice("tx-1", 100))
    computed: list[int] = []

    def spend() -> int:
        computed.append(1)
        return sum(line.cost_pence for line in api.facts("invoiced").lines)

    assert (api.cached("spend", spend), api.cached("spend", spend)) == (100, 100)
    consumer.apply(invoice("tx-2", 200))
    assert api.cached("spend", spend) == 300
    assert len(computed) == 2


def observation(observation_id: str, value: float, **fields: Any) -> Any:
    return ev.observation(
        observation_id,
        value=value,
        **{
            "child_ref": "child-1",
            "code": "attendance",
            "on": "2025-03-28",
            "provider_id": "prov-oak",
            **fields,
        },
    )


def test_a_fact_delivered_again_beside_others_is_one_record(store: FactStore) -> None:
    api, consumer = ReadModel(store), ReadModel(store)
    consumer.apply_batch([observation("obs-1", 92), observation("obs-2", 70, on="2025-02-01")])
    assert api.observation_count() == 2
    # a redelivery cut differently: obs-1 again, beside a correction of it and a withdrawal
    correction = observation("obs-3", 83, supersedes="obs-1")
    withdrawal = ev.withdrawal("obs-2", child_ref="child-1", code="attendance", provider_id="p")
    consumer.apply_batch([observation("obs-1", 92), correction, withdrawal])
    consumer.apply_batch([withdrawal, correction])
    for model in (api, ReadModel(store)):  # followed write by write, and loaded afresh
        assert model.observation_count() == 3
        [current] = model.facts("invoiced").observations
        assert (current.observation_id, current.value) == ("obs-3", 83)


def test_an_open_enrolment_ends_when_its_intervention_is_amended_to_end(
    store: FactStore,
) -> None:
    api, consumer = ReadModel(store), ReadModel(store)
    consumer.apply_batch(
        [
            ev.intervention("int-a", provider_id="prov-oak", price=100, targets=["attendance"]),
            enrolment(1, None),
        ]
    )
    [open_enrolment] = api.facts("invoiced").enrolments
    assert open_enrolment.end is not None and open_enrolment.end.isoformat() == "2026-03-31"
    consumer.apply(
        ev.intervention(
            "int-a",
            provider_id="prov-oak",
            price=100,
            targets=["attendance"],
            end="2025-06-30",
            version=2,
        )
    )
    [ended] = api.facts("invoiced").enrolments
    assert ended.end is not None and ended.end.isoformat() == "2025-06-30"


def test_facts_and_positions_are_written_together_or_not_at_all(store: FactStore) -> None:
    model = ReadModel(store)
    model.write(stage([invoice("tx-1", 100)]), {("t.acorn.ledger", 0): 1})
    broken = stage([invoice("tx-2", 200)])
    broken.rows["transactions"]["tx-2"] = ("tx-2", None, "invoice", "int-a", "not a time")
    with pytest.raises(Exception):  # noqa: B017  (whatever DuckDB raises: nothing is kept)
        model.write(broken, {("t.acorn.ledger", 0): 2})
    assert store.positions() == {("t.acorn.ledger", 0): 1}
    assert [line.cost_pence for line in model.facts("invoiced").lines] == [100]


def test_a_cost_line_ending_before_it_starts_is_refused_before_anything_is_staged() -> None:
    backwards = ev.transaction(
        "tx-backwards",
        intervention_id="int-a",
        provider_id="prov-oak",
        lines=[
            ("child-1", "2025-01-06", "2025-03-30", 1),
            ("child-1", "2025-03-30", "2025-01-06", 1),
        ],
    )
    with pytest.raises(ValueError, match="cost line 1 ends"):
        stage([backwards])


def test_facts_and_positions_survive_the_process(tmp_path: Path) -> None:
    path = str(tmp_path / "value.duckdb")
    first = FactStore(path)
    ReadModel(first).write(stage([invoice("tx-1", 100)]), {("t.acorn.ledger", 2): 7})
    first.close()
    again = FactStore(path)
    try:
        assert again.positions() == {("t.acorn.ledger", 2): 7}
        assert [line.cost_pence for line in ReadModel(again).facts("invoiced").lines] == [100]
    finally:
        again.close()


def test_every_fact_keeps_when_acorn_learnt_it(store: FactStore) -> None:
    event = invoice("tx-1", 100)
    ReadModel(store).apply(event)
    [row] = store.rows("SELECT strftime(learned_at, '%Y-%m-%dT%H:%M:%S.%g') AS t FROM transactions")
    assert row["t"] == event.time.removesuffix("Z")
