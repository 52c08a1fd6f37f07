"""One contract for the in-memory and the Mongo repositories, so the fakes stay honest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.commissioning.adapters.repository import (
    AbstractInterventionRepository,
    FakeInterventionRepository,
    MongoInterventionRepository,
)
from services.commissioning.domain.model import Intervention, PricePeriod
from services.commissioning.service_layer.events import intervention_event
from shared.events.catalogue import commissioning as catalogue
from shared.outbox import Outbox


@pytest.fixture(params=["fake", pytest.param("mongo", marks=pytest.mark.integration)])
def repository(request: pytest.FixtureRequest) -> Iterator[AbstractInterventionRepository]:
    if request.param == "fake":
        yield FakeInterventionRepository()
    else:
        db = request.getfixturevalue("db")
        yield MongoInterventionRepository(db, Outbox(db))


def draft(intervention_id: str = "int-1") -> Intervention:
    return Intervention(
        intervention_id=intervention_id,
        provider_id="prv-1",
        title="Therapy",
        category="therapeutic",
        pricing_model="per_session",
        prices=[PricePeriod(date(2025, 1, 1), 7_000)],
        capacity=1,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        budget_pence=100_000,
        target_indicators=[],
    )


def events(intervention: Intervention) -> Any:
    return [intervention_event(catalogue.INTERVENTION_ACTIVATED, intervention, date(2025, 1, 1))]


def test_what_is_added_reads_back_equal(repository: AbstractInterventionRepository) -> None:
    repository.add(draft(), events(draft()))
    assert repository.get("int-1") == draft()
    assert repository.get("int-2") is None
    assert repository.list() == [draft()]


def test_of_two_writers_who_read_the_same_revision_only_the_first_is_stored(
    repository: AbstractInterventionRepository,
) -> None:
    repository.add(draft(), events(draft()))
    officer, enroller = repository.get("int-1"), repository.get("int-1")
    assert officer is not None and enroller is not None
    officer.activate()
    assert repository.save(officer, events(officer))
    enroller.title = "Changed meanwhile"
    assert not repository.save(enroller, events(enroller))
    latest = repository.get("int-1")
    assert latest == replace(officer, revision=2)
    assert [i.status for i in repository.list()] == ["active"]
    assert latest is not None and repository.save(latest, events(latest))
    assert repository.get("int-1") == replace(officer, revision=3)


@pytest.mark.integration
def test_a_lagging_head_is_read_past(db: Any) -> None:
    repository = MongoInterventionRepository(db, Outbox(db))
    repository.add(draft(), events(draft()))
    changed = repository.get("int-1")
    assert changed is not None
    changed.activate()
    assert repository.save(changed, events(changed))
    db.interventions.update_one({"_id": "int-1"}, {"$set": {"revision": 1, "status": "draft"}})
    assert repository.get("int-1") == replace(changed, revision=2)
    assert [i.status for i in repository.list()] == ["active"]
