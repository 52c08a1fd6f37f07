"""Who may do what: commissioners write; finance, auditors and admins read; a provider reads
only its own provider record, interventions and enrolments (others' are 404, as if absent) and
writes nothing; auditors and admins read the audit trail of every write."""

from __future__ import annotations

from typing import Any

import pytest

from tests.commissioning.conftest import Api, created, intervention_body, refused

pytestmark = pytest.mark.integration

READERS = ("commissioner", "finance", "auditor", "admin")


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    """Two providers, each with an active intervention and one enrolled child."""
    records: dict[str, Any] = {}
    for name in ("mine", "theirs"):
        provider = api.provider(name=f"Provider {name}")
        intervention = api.active_intervention(provider["provider_id"])
        enrolment = created(
            api.enrol(intervention["intervention_id"], f"child-{name}-1", "2025-02-01")
        )
        records[name] = {"provider": provider, "intervention": intervention, "enrolment": enrolment}
    return records


def paths(records: dict[str, Any]) -> list[str]:
    return [
        f"/providers/{records['provider']['provider_id']}",
        f"/interventions/{records['intervention']['intervention_id']}",
        f"/enrolments/{records['enrolment']['enrolment_id']}",
    ]


def writes(records: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    iid = records["intervention"]["intervention_id"]
    return [
        ("post", "/providers", {"name": "Elm", "kind": "voluntary"}),
        ("patch", f"/providers/{records['provider']['provider_id']}", {"name": "Renamed"}),
        ("post", "/interventions", intervention_body(records["provider"]["provider_id"])),
        ("post", f"/interventions/{iid}/suspend", {}),
        ("post", f"/interventions/{iid}/end", {"end_date": "2025-06-30"}),
        ("post", f"/interventions/{iid}/price-amendments",
         {"effective_from": "2025-06-01", "unit_price_pence": 1}),
        ("post", f"/interventions/{iid}/enrolments",
         {"child_ref": "child-n1", "start_date": "2025-03-01"}),
        ("post", f"/enrolments/{records['enrolment']['enrolment_id']}/end",
         {"end_date": "2025-03-01", "reason": "x"}),
    ]  # fmt: skip


@pytest.mark.parametrize("role", READERS)
def test_officials_read_everything(api: Api, world: dict[str, Any], role: str) -> None:
    for records in world.values():
        for path in paths(records):
            assert api.get(path, role=role).status_code == 200, (role, path)
    assert api.get("/providers", role=role).json["total"] == 2
    assert api.get("/interventions", role=role).json["total"] == 2
    assert api.get("/enrolments", role=role).json["total"] == 2


@pytest.mark.parametrize("role", ["finance", "auditor", "admin", "provider"])
def test_only_commissioners_write(api: Api, world: dict[str, Any], role: str) -> None:
    as_provider = world["mine"]["provider"]["provider_id"] if role == "provider" else None
    for method, path, body in writes(world["mine"]):
        response = getattr(api, method)(
            path, body, role=role, as_provider=as_provider, if_match='"v2"'
        )
        refused(response, 403)
    assert api.get("/providers").json["total"] == 2
    assert api.get("/interventions", status="active").json["total"] == 2
    assert api.get("/enrolments", status="enrolled").json["total"] == 2


def test_a_provider_reads_only_its_own_records(api: Api, world: dict[str, Any]) -> None:
    mine = world["mine"]["provider"]["provider_id"]
    for path in paths(world["mine"]):
        assert api.get(path, role="provider", as_provider=mine).status_code == 200, path
    for path in paths(world["theirs"]):
        refused(api.get(path, role="provider", as_provider=mine), 404)

    def listed(path: str, **query: Any) -> list[dict[str, Any]]:
        response = api.get(path, role="provider", as_provider=mine, **query)
        assert response.status_code == 200, response.json
        items: list[dict[str, Any]] = response.json["items"]
        return items

    assert [p["provider_id"] for p in listed("/providers")] == [mine]
    assert {i["provider_id"] for i in listed("/interventions")} == {mine}
    assert [e["child_ref"] for e in listed("/enrolments")] == ["child-mine-1"]
    # asking directly about another provider's intervention or child reveals nothing
    theirs = world["theirs"]
    assert listed("/interventions", provider_id=theirs["provider"]["provider_id"]) == []
    assert listed("/enrolments", intervention_id=theirs["intervention"]["intervention_id"]) == []
    assert listed("/enrolments", child_ref="child-t1") == []


def test_the_audit_trail_records_every_write_for_auditors_and_admins(
    api: Api, world: dict[str, Any]
) -> None:
    for role in ("commissioner", "finance"):
        refused(api.get("/audit", role=role), 403)
    refused(api.get("/audit", role="provider", as_provider="prv-x"), 403)
    for role in ("auditor", "admin"):
        trail = api.get("/audit", role=role, page_size=100).json
        # per provider: register, commission, activate, enrol
        assert trail["total"] == 8
        actions = sorted(record["action"] for record in trail["items"])
        assert actions == sorted(
            ["provider.register", "intervention.commission", "intervention.activate",
             "enrolment.enrol"] * 2
        )  # fmt: skip
        assert {record["actor"] for record in trail["items"]} == {"user-commissioner"}
        enrolled = [r for r in trail["items"] if r["action"] == "enrolment.enrol"]
        assert {r["subject"] for r in enrolled} == {
            world[name]["enrolment"]["enrolment_id"] for name in world
        }
    page = api.get("/audit", role="auditor", page=2, page_size=3).json
    assert (page["page"], len(page["items"])) == (2, 3)
