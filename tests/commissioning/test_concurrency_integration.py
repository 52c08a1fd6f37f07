"""Idempotent replays and concurrent writers, on the real database."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.commissioning.conftest import Api, created, refused

pytestmark = pytest.mark.integration


def test_a_replayed_write_returns_the_first_response_and_writes_once(api: Api) -> None:
    body = {"name": "Oak Fostering", "kind": "independent"}
    first = api.post("/providers", body, key="register-oak")
    again = api.post("/providers", body, key="register-oak")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert api.get("/providers").json["total"] == 1

    changed = api.post("/providers", {**body, "name": "Ash"}, key="register-oak")
    refused(changed, 422, "Idempotency-Key")
    assert api.get("/providers").json["total"] == 1
    refused(api.client.post("/providers", json=body, headers={"Authorization": ""}), 401)


def test_idempotency_keys_are_scoped_to_the_caller(api: Api) -> None:
    body = {"name": "Oak Fostering", "kind": "independent"}
    mine = created(api.post("/providers", body, key="k-1", subject="officer-a"))
    theirs = created(api.post("/providers", body, key="k-1", subject="officer-b"))
    assert mine["provider_id"] != theirs["provider_id"]


def test_a_transition_replayed_with_its_key_is_not_applied_twice(api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"])
    path = f"/interventions/{intervention['intervention_id']}/price-amendments"
    body = {"effective_from": "2025-05-01", "unit_price_pence": 12_000}
    first = api.post(path, body, if_match='"v2"', key="amend-may")
    replay = api.post(path, body, if_match='"v2"', key="amend-may")
    assert first.status_code == replay.status_code == 200
    assert replay.json == first.json
    assert len(api.get(f"/interventions/{intervention['intervention_id']}").json["prices"]) == 2


def test_refused_writes_release_their_key_so_a_corrected_retry_works(api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"], capacity=1)
    iid = intervention["intervention_id"]
    refused(api.enrol(iid, "child-a-1", "2024-01-01"), 422, "start_date")
    created(
        api.post(
            f"/interventions/{iid}/enrolments",
            {"child_ref": "child-a-1", "start_date": "2025-01-01"},
            key="enrol-a",
        )
    )
    replay = api.post(
        f"/interventions/{iid}/enrolments",
        {"child_ref": "child-a-1", "start_date": "2025-01-01"},
        key="enrol-a",
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert len(api.get("/enrolments", intervention_id=iid).json["items"]) == 1


def test_a_second_officer_with_the_same_etag_gets_412_not_a_silent_overwrite(api: Api) -> None:
    provider = api.provider()
    path = f"/providers/{provider['provider_id']}"
    etag = api.get(path).headers["ETag"]
    first = api.patch(path, {"name": "Oak Fostering Ltd"}, if_match=etag, subject="officer-a")
    second = api.patch(path, {"kind": "voluntary"}, if_match=etag, subject="officer-b")
    assert first.status_code == 200
    refused(second, 412)
    assert second.headers["ETag"] == '"v2"'
    assert api.get(path).json == first.json
    assert first.json["kind"] == "independent"  # officer b's change was not applied


def concurrently(app: Flask, calls: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each call on its own thread and client, released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        results[index] = calls[index](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_transitions_with_one_etag_one_wins_the_others_get_412(
    app: Flask, api: Api
) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"])
    path = f"/interventions/{intervention['intervention_id']}/price-amendments"
    calls = [
        lambda client, day=day: client.post(
            path,
            json={"effective_from": f"2025-06-{day:02d}", "unit_price_pence": 11_000 + day},
            headers=api.headers("commissioner", if_match='"v2"'),
        )
        for day in range(1, 5)
    ]
    statuses = Counter(response.status_code for response in concurrently(app, calls))
    assert statuses == {200: 1, 412: 3}
    final = api.get(f"/interventions/{intervention['intervention_id']}").json
    assert (final["version"], len(final["prices"])) == (3, 2)


def test_concurrent_enrolments_never_exceed_capacity(app: Flask, api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"], capacity=2)
    path = f"/interventions/{intervention['intervention_id']}/enrolments"
    calls = [
        lambda client, n=n: client.post(
            path,
            json={"child_ref": f"child-{n}", "start_date": "2025-03-01"},
            headers=api.headers("commissioner"),
        )
        for n in range(5)
    ]
    responses = concurrently(app, calls)
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 2, 409: 3}, [r.json for r in responses]
    assert all("capacity" in r.json["detail"] for r in responses if r.status_code == 409)
    stored = api.get("/enrolments", intervention_id=intervention["intervention_id"]).json
    assert stored["total"] == 2
    assert sorted(e["enrolment_id"].rpartition(":")[2] for e in stored["items"]) == ["e1", "e2"]


def test_enrolments_racing_an_officer_do_not_invalidate_the_officers_etag(
    app: Flask, api: Api
) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"], capacity=3)
    path = f"/interventions/{intervention['intervention_id']}"

    def amend(client: Any) -> Any:
        return client.post(
            f"{path}/price-amendments",
            json={"effective_from": "2025-07-01", "unit_price_pence": 9_000},
            headers=api.headers("commissioner", if_match='"v2"'),
        )

    enrolments = [
        lambda client, n=n: client.post(
            f"{path}/enrolments",
            json={"child_ref": f"child-{n}", "start_date": "2025-03-01"},
            headers=api.headers("commissioner"),
        )
        for n in range(3)
    ]
    responses = concurrently(app, [amend, *enrolments])
    assert [r.status_code for r in responses] == [200, 201, 201, 201], [r.json for r in responses]
    final = api.get(path).json
    assert (final["version"], final["prices"][-1]["unit_price_pence"]) == (3, 9_000)
