"""The read model on the real database: idempotent, order-free, and its cache never stale."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.database import Database

from services.value.adapters import readmodel
from services.value.adapters.readmodel import ReadModel
from tests.value import events as ev

pytestmark = pytest.mark.integration


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


def test_snapshots_keep_the_highest_version_whatever_the_order(db: Database[Any]) -> None:
    model = ReadModel(db)
    for event in (enrolment(2, "2025-03-30"), enrolment(1, None), enrolment(2, "2025-03-30")):
        model.apply(event)
    [stored] = model.facts("invoiced").enrolments
    assert stored.end is not None and stored.end.isoformat() == "2025-03-30"


def test_redelivered_events_have_one_effect(db: Database[Any]) -> None:
    model = ReadModel(db)
    invoice = ev.worked_example()["ledger"][0]
    model.apply(invoice)
    generation = model.generation()
    model.apply(invoice)
    assert model.generation() == generation  # nothing changed, so nothing to reload
    assert [line.cost_pence for line in model.facts("invoiced").lines] == [120_000]


def test_a_correction_arriving_before_what_it_corrects_still_wins(db: Database[Any]) -> None:
    model = ReadModel(db)
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


def test_a_report_process_sees_what_the_consumer_process_wrote(db: Database[Any]) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
    [tx_a, tx_b] = ev.worked_example()["ledger"]
    consumer.apply(tx_a)
    assert len(api.facts("invoiced").lines) == 1
    assert api.facts("invoiced") is api.facts("invoiced")  # unchanged: served from the cache
    arranged = api.prepared("invoiced")
    assert api.prepared("invoiced") is arranged  # every report shares it until something changes
    consumer.apply(tx_b)
    assert len(api.facts("invoiced").lines) == 2
    assert api.prepared("invoiced") is not arranged
    assert len(api.prepared("invoiced").facts.lines) == 2
    before = consumer.generation()
    consumer.reset()
    assert consumer.generation() > before and list(api.facts("invoiced").lines) == []


def test_a_batch_keeps_the_highest_version_and_one_copy_of_each_fact(db: Database[Any]) -> None:
    model = ReadModel(db)
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


def test_a_redelivered_batch_has_no_further_effect(db: Database[Any]) -> None:
    model = ReadModel(db)
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


def test_a_report_process_fetches_only_what_the_journal_names(
    db: Database[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
    consumer.apply(invoice("tx-1", 100))
    assert [line.cost_pence for line in api.facts("invoiced").lines] == [100]
    # written behind the read model's back (no journal entry): only a full load would see it
    stray = ReadModel(db)
    monkeypatch.setattr(stray, "_journal", lambda written, *, advance: None)
    stray.apply(invoice("tx-stray", 7))
    consumer.apply(invoice("tx-2", 200))
    assert sorted(line.cost_pence for line in api.facts("invoiced").lines) == [100, 200]


def test_a_batch_redelivered_after_a_crash_before_its_journal_entry_is_still_seen(
    db: Database[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
    consumer.apply(invoice("tx-1", 100))
    assert len(api.facts("invoiced").lines) == 1
    crashed = invoice("tx-2", 200)  # its effect written, then the process died

    def die(written: Any, *, advance: bool) -> None:
        raise SystemExit("died before the journal entry")

    with monkeypatch.context() as patch:
        patch.setattr(consumer, "_journal", die)
        with pytest.raises(SystemExit):
            consumer.apply(crashed)
    generation = consumer.generation()
    consumer.apply_batch([crashed])  # redelivered: nothing changes, but its ids are journaled
    assert consumer.generation() == generation
    consumer.apply(invoice("tx-3", 300))
    assert sorted(line.cost_pence for line in api.facts("invoiced").lines) == [100, 200, 300]


def test_a_reader_behind_the_pruned_journal_loads_everything_again(
    db: Database[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readmodel, "KEEP_JOURNAL", 1)
    api, consumer = ReadModel(db), ReadModel(db)
    consumer.apply(invoice("tx-1", 100))
    assert len(api.facts("invoiced").lines) == 1
    for index in range(2, 5):
        consumer.apply(invoice(f"tx-{index}", 100 * index))
    assert sorted(line.cost_pence for line in api.facts("invoiced").lines) == [100, 200, 300, 400]


def test_reports_are_computed_once_per_generation(db: Database[Any]) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
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


def test_a_batch_stores_its_facts_as_a_few_chunk_documents(
    db: Database[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readmodel, "CHUNK_ROWS", 2)
    model = ReadModel(db)
    batch = [observation(f"obs-{n}", 80 + n, on=f"2025-03-0{n}") for n in range(1, 6)]
    model.apply_batch(batch)
    assert db.observations.count_documents({}) == 3  # 2 + 2 + 1 rows
    monkeypatch.setattr(readmodel, "CHUNK_BYTES", 1)  # a row always fits, if on its own
    model.apply_batch([invoice("tx-1", 100), invoice("tx-2", 200)])
    assert db.transactions.count_documents({}) == 2
    facts = ReadModel(db).facts("invoiced")
    assert sorted(o.observation_id for o in facts.observations) == [f"obs-{n}" for n in range(1, 6)]
    assert sorted(line.cost_pence for line in facts.lines) == [100, 200]


def test_a_fact_stored_again_in_another_chunk_is_one_record(db: Database[Any]) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
    consumer.apply_batch([observation("obs-1", 92), observation("obs-2", 70, on="2025-02-01")])
    assert api.observation_count() == 2
    # a redelivery cut differently: obs-1 again, beside a correction of it and a withdrawal
    correction = observation("obs-3", 83, supersedes="obs-1")
    withdrawal = ev.withdrawal("obs-2", child_ref="child-1", code="attendance", provider_id="p")
    consumer.apply_batch([observation("obs-1", 92), correction, withdrawal])
    consumer.apply_batch([withdrawal, correction])
    assert db.observations.count_documents({}) == 3  # obs-1 is stored twice, obs-3 twice
    for model in (api, ReadModel(db)):  # followed through the journal, and loaded afresh
        assert model.observation_count() == 3
        [current] = model.facts("invoiced").observations
        assert (current.observation_id, current.value) == ("obs-3", 83)


def test_a_change_rebuilds_only_the_parts_of_the_arrangement_made_from_it(
    db: Database[Any],
) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
    example = ev.worked_example()
    consumer.apply_batch([*example["commissioning"], *example["outcomes"], *example["ledger"]])
    before = api.prepared("invoiced")
    spend, observed = before.spend, before.observed

    consumer.apply(
        ev.observation(
            "obs-later",
            child_ref="child-c1",
            code="attendance",
            value=95,
            on="2025-03-29",
            provider_id="prov-oak",
        )
    )
    after = api.prepared("invoiced")
    assert after.spend is spend  # no cost line or enrolment changed
    assert after.observed is not observed
    assert after.observed.series_count == 1
    assert after.observed[-1].observation_id == "obs-later"

    consumer.apply(
        ev.transaction(
            "tx-more",
            intervention_id="int-a",
            provider_id="prov-oak",
            lines=[("child-c1", "2025-01-06", "2025-03-30", 100)],
        )
    )
    latest = api.prepared("invoiced")
    assert latest.spend is not spend and latest.observed is after.observed
    assert len(latest.facts.lines) == len(after.facts.lines) + 1


def test_an_open_enrolment_ends_when_its_intervention_is_amended_to_end(
    db: Database[Any],
) -> None:
    api, consumer = ReadModel(db), ReadModel(db)
    consumer.apply_batch(
        [
            ev.intervention("int-a", provider_id="prov-oak", price=100, targets=["attendance"]),
            enrolment(1, None),
        ]
    )
    [open_enrolment] = api.prepared("invoiced").facts.enrolments
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
    [ended] = api.prepared("invoiced").facts.enrolments
    assert ended.end is not None and ended.end.isoformat() == "2025-06-30"
