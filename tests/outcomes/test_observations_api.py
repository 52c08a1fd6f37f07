"""Observations through the API on the real stack, with enrolments learnt from Kafka events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.outcomes.service_layer.errors import NOT_HELD
from shared.events.catalogue.outcomes import (
    OBSERVATION_CORRECTED,
    OBSERVATION_RECORDED,
    OBSERVATION_WITHDRAWN,
)
from tests.outcomes.conftest import BASELINE_DAYS, BATCH_LIMIT, GRACE_DAYS, Stack
from tests.support.bus import wait_until

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
Ids = Callable[[str], str]


def today() -> date:
    return datetime.now(UTC).date()


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def reading(child_ref: str, **changes: Any) -> dict[str, Any]:
    return {
        "child_ref": child_ref,
        "indicator_code": "school_attendance",
        "value": 92.5,
        "observed_on": days_ago(10),
        **changes,
    }


def post(stack: Stack, headers: dict[str, str], row: dict[str, Any]) -> Any:
    return stack.client.post("/observations", json=row, headers=headers)


def indexed(stack: Stack, child_ref: str) -> list[str]:
    """The observation ids the child index holds for `child_ref` (its `child_ref/` entries)."""
    entries = stack.db.child_observations.find({"_id": {"$regex": f"^{child_ref}/"}})
    return [observation_id for entry in entries for observation_id in entry["ids"]]


def refusals(stack: Stack, provider_id: str) -> list[dict[str, Any]]:
    return list(stack.db.audit_log.find({"provider_id": provider_id, "outcome": "refused"}))


def test_a_provider_records_an_observation_for_a_child_it_holds(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, other, child = ids("prov"), ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))

    response = post(
        stack,
        auth("provider", provider_id=provider),
        reading(child, evidence_ref="termly-return-7", intervention_id="int-1"),
    )
    assert response.status_code == 201, response.json
    observation = response.json
    assert observation["value"] == 92.5
    assert observation["provider_id"] == provider
    assert observation["indicator_version"] == 1
    assert observation["status"] == "current"
    assert response.headers["Location"] == f"/observations/{observation['observation_id']}"

    path = f"/observations/{observation['observation_id']}"
    assert stack.client.get(path, headers=auth("provider", provider_id=provider)).json == (
        observation
    )
    assert stack.client.get(path, headers=auth("provider", provider_id=other)).status_code == 404
    assert stack.client.get(path, headers=auth("commissioner")).status_code == 200

    [event] = stack.events_for(child, expect=1)
    assert event.type == OBSERVATION_RECORDED
    assert event.source == "acorn/outcomes"
    assert event.data["observation_id"] == observation["observation_id"]
    assert event.data["observed_on"] == days_ago(10)
    assert event.data["evidence_ref"] == "termly-return-7"
    assert stack.db.audit_log.find_one({"provider_id": provider, "outcome": "done"})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"indicator_code": "no_such_indicator"}, "indicator_code"),
        ({"value": 100.5}, "value"),
        ({"indicator_code": "dental_check_up_to_date", "value": 2}, "value"),
        ({"indicator_code": "placement_moves_12m", "value": 1.5}, "value"),
        ({"indicator_code": "placement_moves_12m", "value": -1}, "value"),
        ({"indicator_code": "sdq_total_difficulties", "value": 41}, "value"),
        ({"value": "90"}, "value"),
        ({"value": True}, "value"),
        ({"observed_on": (date.today() + timedelta(days=2)).isoformat()}, "observed_on"),
        ({"observed_on": "1999-12-31"}, "observed_on"),
        ({"child_ref": "Jane Smith"}, "child_ref"),
        ({"name": "Jane"}, "name"),
        ({"value": None}, "value"),
    ],
)
def test_invalid_readings_are_refused_naming_the_field(
    stack: Stack, auth: Auth, ids: Ids, changes: dict[str, Any], field: str
) -> None:
    provider, child = ids("prov"), ids("child")
    response = post(stack, auth("provider", provider_id=provider), reading(child) | changes)
    assert response.status_code == 422, response.json
    assert field in [error["field"] for error in response.json["errors"]]
    assert "Jane" not in response.get_data(as_text=True)  # errors never echo what was sent
    assert indexed(stack, child) == []


def test_writes_without_a_key_a_token_or_an_authoring_role_are_refused(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    child = ids("child")
    headers = auth("provider", provider_id=ids("prov"))
    del headers["Idempotency-Key"]
    assert post(stack, headers, reading(child)).status_code == 400
    assert stack.client.post("/observations", json=reading(child)).status_code == 401
    for role in ("finance", "auditor", "admin"):
        assert post(stack, auth(role), reading(child)).status_code == 403


def test_the_council_records_readings_from_its_own_systems_for_any_child_at_any_date(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    """No enrolment and a date far older than a provider's baseline window: the council's
    readings (e.g. last year's SSDA903 return) are its own, sourced to the system named."""
    child = ids("child")
    row = reading(child, observed_on=days_ago(400), source_system="SSDA903 return 2025")
    response = post(stack, auth("commissioner"), row)
    assert response.status_code == 201, response.json
    assert (response.json["source"], response.json["source_system"]) == (
        "council",
        "SSDA903 return 2025",
    )
    assert response.json["provider_id"] is None
    [event] = stack.events_for(child, expect=1)
    assert event.type == OBSERVATION_RECORDED
    assert (event.data["source"], event.data["source_system"], event.data["provider_id"]) == (
        "council",
        "SSDA903 return 2025",
        None,
    )

    correction = stack.client.post(
        f"/observations/{response.json['observation_id']}/correction",
        json={"value": 80},
        headers=auth("commissioner"),
    )
    assert correction.status_code == 201, correction.json
    assert correction.json["source_system"] == "SSDA903 return 2025"


def test_the_council_names_its_source_system_and_a_provider_may_not(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, child = ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    unnamed = post(stack, auth("commissioner"), reading(child))
    assert unnamed.status_code == 422
    assert "source_system" in str(unnamed.json)
    claimed = post(
        stack, auth("provider", provider_id=provider), reading(child, source_system="census")
    )
    assert claimed.status_code == 422
    assert "source_system" in str(claimed.json)


def test_a_provider_cannot_correct_the_councils_reading(stack: Stack, auth: Auth, ids: Ids) -> None:
    provider, child = ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    council = post(stack, auth("commissioner"), reading(child, source_system="school census"))
    path = f"/observations/{council.json['observation_id']}/correction"
    response = stack.client.post(
        path, json={"value": 1}, headers=auth("provider", provider_id=provider)
    )
    assert response.status_code == 404


def test_authorisation_follows_enrolments_learnt_from_commissioning_events(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    holder, stranger, child = ids("prov"), ids("prov"), ids("child")
    start, end = today() - timedelta(days=200), today() - timedelta(days=100)
    enrolment = stack.enrol(holder, child, start)
    stack.publish_enrolment(
        provider_id=holder, child_ref=child, start=start, end=end, version=2,
        enrolment_id=enrolment,
    )  # fmt: skip
    stack.wait_for_enrolment(holder, child, enrolment, 2)
    as_holder = lambda: auth("provider", provider_id=holder)  # noqa: E731  (a fresh key each)

    inside = post(stack, as_holder(), reading(child, observed_on=days_ago(150)))
    assert inside.status_code == 201
    in_grace = post(stack, as_holder(), reading(child, observed_on=days_ago(100 - GRACE_DAYS + 5)))
    assert in_grace.status_code == 201
    past_grace = post(
        stack, as_holder(), reading(child, observed_on=days_ago(100 - GRACE_DAYS - 5))
    )
    assert past_grace.status_code == 403
    intake_baseline = post(
        stack, as_holder(), reading(child, observed_on=days_ago(200 + BASELINE_DAYS))
    )
    assert intake_baseline.status_code == 201
    before_baseline = post(
        stack, as_holder(), reading(child, observed_on=days_ago(200 + BASELINE_DAYS + 1))
    )
    assert before_baseline.status_code == 403
    other_intervention = post(
        stack, auth("provider", provider_id=holder),
        reading(child, observed_on=days_ago(150), intervention_id="int-other"),
    )  # fmt: skip
    assert other_intervention.status_code == 403

    never_held = post(stack, auth("provider", provider_id=stranger), reading(child))
    unknown_ref = ids("child")
    unknown_child = post(stack, auth("provider", provider_id=stranger), reading(unknown_ref))
    assert never_held.status_code == unknown_child.status_code == 403
    assert never_held.json["detail"] == unknown_child.json["detail"] == NOT_HELD
    assert past_grace.json["detail"] == NOT_HELD

    assert len(refusals(stack, holder)) == 3
    assert sorted(r["subject"] for r in refusals(stack, stranger)) == sorted([child, unknown_ref])
    assert len(stack.events_for(child, expect=3)) == 3  # inside, in grace, intake baseline


def test_the_projection_keeps_the_newest_snapshot_whatever_the_order(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, child, enrolment = ids("prov"), ids("child"), ids("enr")
    start, end = today() - timedelta(days=300), today() - timedelta(days=200)
    handled = stack.runner.stats.handled
    stack.publish_enrolment(
        provider_id=provider, child_ref=child, start=start, end=end, version=2,
        enrolment_id=enrolment,
    )  # fmt: skip
    stack.publish_enrolment(
        provider_id=provider, child_ref=child, start=start, version=1, enrolment_id=enrolment
    )  # the older, open snapshot arrives last, and again
    stack.publish_enrolment(
        provider_id=provider, child_ref=child, start=start, version=1, enrolment_id=enrolment
    )
    wait_until(lambda: stack.runner.stats.handled >= handled + 3, what="all three snapshots")
    stack.wait_for_enrolment(provider, child, enrolment, 2)

    response = post(stack, auth("provider", provider_id=provider), reading(child))
    assert response.status_code == 403  # ended 200 days ago: the older open snapshot lost


def test_a_batch_records_the_good_rows_and_names_the_bad_fields(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, child, sibling, stranger = ids("prov"), ids("child"), ids("child"), ids("child")
    for held in (child, sibling):
        stack.enrol(provider, held, today() - timedelta(days=100))
    rows: list[Any] = [
        reading(child),
        reading(child, value=140),
        reading(child, indicator_code="no_such_indicator"),
        reading(stranger),
        "not an object",
        reading(child, colour="blue"),
        reading(sibling, indicator_code="sdq_total_difficulties", value=14),
        {k: v for k, v in reading(sibling).items() if k != "observed_on"},
    ]
    headers = auth("provider", provider_id=provider)
    response = stack.client.post(
        "/observations/batch", json={"observations": rows}, headers=headers
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["recorded"], body["refused"]) == (2, 6)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert [r["status"] for r in results] == [
        "recorded", "invalid", "invalid", "forbidden", "invalid", "invalid", "recorded", "invalid"
    ]  # fmt: skip
    fields = [[e["field"] for e in r["errors"]] for r in results]
    assert fields == [
        [], ["value"], ["indicator_code"], ["child_ref"], ["(row)"], ["colour"], [],
        ["observed_on"],
    ]  # fmt: skip
    assert results[3]["errors"][0]["reason"] == NOT_HELD
    for result in results:
        if result["status"] == "recorded":
            path = f"/observations/{result['observation_id']}"
            assert stack.client.get(path, headers=headers).status_code == 200
        else:
            assert result["observation_id"] is None
    assert [r["subject"] for r in refusals(stack, provider)] == [stranger]

    # the provider resends only the failed rows, corrected
    resend = [reading(child, value=14.0), reading(sibling)]
    again = stack.client.post(
        "/observations/batch", json={"observations": resend}, headers=auth(
            "provider", provider_id=provider
        )
    )  # fmt: skip
    assert again.json["recorded"] == 2
    assert len(stack.events_for(child, expect=2)) == 2
    assert len(stack.events_for(sibling, expect=2)) == 2


def test_concurrent_batches_for_one_child_lose_no_observation(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    """Several writers indexing one child at once: every observation stays readable by child.

    The child is indexed before the race, so what is exercised is adding to an existing index.
    """
    provider, child = ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    headers = auth("provider", provider_id=provider)
    first = post(stack, headers, reading(child)).json["observation_id"]
    writers, batches, rows = 8, 3, 20
    start = threading.Barrier(writers)

    def write(writer: int) -> list[str]:
        client = stack.client.application.test_client()
        start.wait()
        recorded = []
        for batch in range(batches):
            body = {
                "observations": [
                    reading(child, value=writer + batch, evidence_ref=f"w{writer}b{batch}r{row}")
                    for row in range(rows)  # distinct rows: an exact repeat is recorded once
                ]
            }
            response = client.post(
                "/observations/batch", json=body, headers=auth("provider", provider_id=provider)
            )
            assert response.status_code == 200, response.json
            recorded += [r["observation_id"] for r in response.json["results"]]
        return recorded

    with ThreadPoolExecutor(writers) as pool:
        written = [oid for recorded in pool.map(write, range(writers)) for oid in recorded]
    assert len(set(written)) == writers * batches * rows

    listing = stack.client.get(
        f"/children/{child}/observations?page_size=500", headers=headers
    ).json
    assert listing["total"] == 1 + writers * batches * rows
    assert {o["observation_id"] for o in listing["items"]} == {first, *written}


@pytest.mark.parametrize("count", [0, BATCH_LIMIT + 1])
def test_a_batch_outside_its_limits_is_refused_whole(
    stack: Stack, auth: Auth, ids: Ids, count: int
) -> None:
    provider, child = ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    response = stack.client.post(
        "/observations/batch",
        json={"observations": [reading(child)] * count},
        headers=auth("provider", provider_id=provider),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["observations"]
    assert indexed(stack, child) == []


def test_replaying_a_write_with_its_idempotency_key_returns_the_first_answer(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, child = ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    headers = auth("provider", provider_id=provider)
    first = post(stack, headers, reading(child))
    replay = post(stack, headers, reading(child))
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert post(stack, headers, reading(child, value=50)).status_code == 422

    batch_headers = auth("provider", provider_id=provider)
    body = {"observations": [reading(child, value=60), reading(ids("child"))]}
    batch = stack.client.post("/observations/batch", json=body, headers=batch_headers)
    batch_replay = stack.client.post("/observations/batch", json=body, headers=batch_headers)
    assert batch_replay.json == batch.json
    assert batch_replay.headers["Idempotent-Replayed"] == "true"

    assert sorted(indexed(stack, child)) == sorted(
        [first.json["observation_id"], batch.json["results"][0]["observation_id"]]
    )
    assert len(stack.events_for(child, expect=2)) == 2


def test_corrections_supersede_and_withdrawals_keep_the_original_in_history(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, other, child = ids("prov"), ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    stack.enrol(other, child, today() - timedelta(days=100))
    mine = lambda: auth("provider", provider_id=provider)  # noqa: E731
    first = post(stack, mine(), reading(child, value=70)).json
    second = post(stack, mine(), reading(child, observed_on=days_ago(5), value=75)).json
    theirs = post(stack, auth("provider", provider_id=other), reading(child, value=71)).json

    fix = f"/observations/{first['observation_id']}/correction"
    corrected = stack.client.post(fix, json={"value": 72}, headers=mine())
    assert corrected.status_code == 201, corrected.json
    correction = corrected.json
    assert correction["supersedes"] == first["observation_id"]
    assert (correction["value"], correction["observed_on"]) == (72, first["observed_on"])
    original = stack.client.get(f"/observations/{first['observation_id']}", headers=mine()).json
    assert original["status"] == "superseded"
    assert original["superseded_by"] == correction["observation_id"]
    assert original["value"] == 70

    assert stack.client.post(fix, json={"value": 73}, headers=mine()).status_code == 409
    bad = f"/observations/{correction['observation_id']}/correction"
    assert stack.client.post(bad, json={"value": 250}, headers=mine()).status_code == 422
    before_enrolment = {"value": 80, "observed_on": days_ago(100 + BASELINE_DAYS + 1)}
    assert stack.client.post(bad, json=before_enrolment, headers=mine()).status_code == 403
    not_theirs = f"/observations/{theirs['observation_id']}/correction"
    assert stack.client.post(not_theirs, json={"value": 1}, headers=mine()).status_code == 404

    withdraw = f"/observations/{second['observation_id']}/withdrawal"
    withdrawn = stack.client.post(withdraw, json={"reason": "wrong child"}, headers=mine())
    assert withdrawn.status_code == 200
    assert withdrawn.json["status"] == "withdrawn"
    assert stack.client.post(withdraw, json={"reason": "x"}, headers=mine()).status_code == 409

    listing = f"/children/{child}/observations"
    current = stack.client.get(listing, headers=mine()).json
    assert [o["observation_id"] for o in current["items"]] == [correction["observation_id"]]
    history = stack.client.get(f"{listing}?include_history=true", headers=mine()).json
    assert [o["observation_id"] for o in history["items"]] == [
        first["observation_id"], correction["observation_id"], second["observation_id"]
    ]  # fmt: skip
    everyone = stack.client.get(listing, headers=auth("commissioner")).json
    assert everyone["total"] == 2  # the correction and the other provider's reading

    events = stack.events_for(child, expect=5)
    by_type = {event.type: event for event in events}
    assert by_type[OBSERVATION_CORRECTED].data["supersedes"] == first["observation_id"]
    assert by_type[OBSERVATION_CORRECTED].data["value"] == 72
    assert by_type[OBSERVATION_WITHDRAWN].data["observation_id"] == second["observation_id"]
    assert by_type[OBSERVATION_WITHDRAWN].data["reason"] == "wrong child"


def test_a_provider_reads_only_children_it_held(stack: Stack, auth: Auth, ids: Ids) -> None:
    provider, stranger, child = ids("prov"), ids("prov"), ids("child")
    stack.enrol(provider, child, today() - timedelta(days=100))
    assert post(stack, auth("provider", provider_id=provider), reading(child)).status_code == 201
    listing = f"/children/{child}/observations"
    refused = stack.client.get(listing, headers=auth("provider", provider_id=stranger))
    unknown = stack.client.get(
        f"/children/{ids('child')}/observations", headers=auth("provider", provider_id=stranger)
    )
    assert refused.status_code == unknown.status_code == 403
    assert refused.json["detail"] == unknown.json["detail"]
    assert stack.client.get(listing, headers=auth("finance")).status_code == 403
    assert stack.client.get(listing, headers=auth("auditor")).json["total"] == 1
