"""`Idempotency-Key` after a crash and across roles: a claim whose worker died is taken over
after its lease, the redo finds what the first attempt stored instead of storing it twice, and a
key never replays an answer to a caller with other rights."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from shared.config import ServiceSettings
from shared.http.idempotency import COLLECTION
from shared.ids import new_id, repeatable_ids

LEASE_S = 1.0
PROVIDER = {"name": "Hollies Family Support", "kind": "voluntary"}


def test_ids_repeat_within_the_same_claim_only() -> None:
    with repeatable_ids("scope\x1fkey-1"):
        first = [new_id(), new_id()]
    with repeatable_ids("scope\x1fkey-1"):
        again = [new_id(), new_id()]
    with repeatable_ids("scope\x1fkey-2"):
        other = [new_id(), new_id()]
    assert first == again and len(set(first)) == 2
    assert not set(first) & set(other)
    assert new_id() != new_id()  # outside a claim: random


@pytest.fixture
def app(service_env: Callable[..., dict[str, str]]) -> Iterator[Flask]:
    settings_module = importlib.import_module("services.commissioning.settings")
    api = importlib.import_module("services.commissioning.entrypoints.api")
    environ = service_env("commissioning", ACORN_IDEMPOTENCY_LEASE_S=str(LEASE_S))
    settings = ServiceSettings.from_env(
        "commissioning", extras=settings_module.EXTRAS, environ=environ
    )
    app = api.create_app(settings)
    yield app
    app.extensions["acorn"].runtime.client.close()


def _claims(app: Flask) -> Any:
    return app.extensions["acorn"].runtime.db[COLLECTION]


def test_a_claim_whose_worker_died_after_writing_is_redone_without_a_second_copy(
    app: Flask, auth: Callable[..., dict[str, str]]
) -> None:
    client = app.test_client()
    headers = auth("commissioner", key="register-hollies")
    first = client.post("/providers", json=PROVIDER, headers=headers)
    assert first.status_code == 201
    # as if the worker had died after writing, before storing its answer
    _claims(app).update_many(
        {}, {"$set": {"state": "pending", "claimed_at": datetime.now(UTC)}, "$unset": {"body": 1}}
    )
    blocked = client.post("/providers", json=PROVIDER, headers=headers)
    assert blocked.status_code == 409 and int(blocked.headers["Retry-After"]) >= 1
    time.sleep(LEASE_S + 0.2)
    redone = client.post("/providers", json=PROVIDER, headers=headers)
    assert redone.status_code == 201, redone.get_json()
    assert redone.get_json()["provider_id"] == first.get_json()["provider_id"]
    listed = client.get("/providers", headers=auth("commissioner")).get_json()
    assert listed["total"] == 1
    replayed = client.post("/providers", json=PROVIDER, headers=headers)
    assert replayed.headers.get("Idempotent-Replayed") == "true"


def test_a_claim_still_within_its_lease_is_not_taken_over(
    app: Flask, auth: Callable[..., dict[str, str]]
) -> None:
    client = app.test_client()
    headers = auth("commissioner", key="slow-one")
    assert client.post("/providers", json=PROVIDER, headers=headers).status_code == 201
    _claims(app).update_many(
        {},
        {"$set": {"state": "pending", "claimed_at": datetime.now(UTC) + timedelta(seconds=30)}},
    )
    assert client.post("/providers", json=PROVIDER, headers=headers).status_code == 409


def test_a_key_never_replays_to_a_caller_with_other_rights(
    app: Flask, auth: Callable[..., dict[str, str]]
) -> None:
    client = app.test_client()
    as_commissioner = auth("commissioner", key="shared-key", subject="same-person")
    assert client.post("/providers", json=PROVIDER, headers=as_commissioner).status_code == 201
    as_auditor = auth("auditor", key="shared-key", subject="same-person")
    refused = client.post("/providers", json=PROVIDER, headers=as_auditor)
    assert refused.status_code == 403  # its own role check, not the commissioner's answer
    assert "Idempotent-Replayed" not in refused.headers
