"""Each capability and each refusal of the commissioning API, on the real database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.commissioning.conftest import Api, created, intervention_body, refused

pytestmark = pytest.mark.integration


def test_providers_are_registered_read_listed_and_updated_with_an_etag(api: Api) -> None:
    provider = api.provider(name="Oak Fostering", ofsted_urn="SC123456")
    assert provider == {
        "provider_id": provider["provider_id"],
        "name": "Oak Fostering",
        "kind": "independent",
        "ofsted_urn": "SC123456",
        "status": "active",
        "version": 1,
    }
    path = f"/providers/{provider['provider_id']}"
    read = api.get(path)
    assert (read.status_code, read.headers["ETag"], read.json) == (200, '"v1"', provider)
    api.provider(name="Ash Voluntary", kind="voluntary")

    updated = api.patch(path, {"status": "inactive", "ofsted_urn": None}, if_match='"v1"')
    assert updated.status_code == 200, updated.json
    assert (updated.json["status"], updated.json["ofsted_urn"], updated.json["version"]) == (
        "inactive",
        None,
        2,
    )
    assert updated.headers["ETag"] == '"v2"'
    listed = api.get("/providers", kind="voluntary")
    assert [p["name"] for p in listed.json["items"]] == ["Ash Voluntary"]
    assert api.get("/providers", status="inactive").json["total"] == 1
    refused(api.get("/providers/prv-nobody"), 404)


def test_an_intervention_is_commissioned_as_a_draft_and_read_back(api: Api) -> None:
    provider = api.provider()
    targets = ["school_attendance", "sdq_total_difficulties"]
    body = intervention_body(provider["provider_id"], target_indicators=targets)
    del body["budget_pence"]
    response = api.post("/interventions", {**body, "budget_pounds": "20000.00"})
    intervention = created(response)
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"] == f"/interventions/{intervention['intervention_id']}"
    assert intervention["status"] == "draft"
    assert intervention["budget_pence"] == 2_000_000  # pounds in the pounds field, kept in pence
    assert "budget_pounds" not in intervention
    assert intervention["prices"] == [{"effective_from": "2025-01-01", "unit_price_pence": 10_000}]
    assert intervention["target_indicators"] == targets
    read = api.get(f"/interventions/{intervention['intervention_id']}")
    assert (read.json, read.headers["ETag"]) == (intervention, '"v1"')


def test_interventions_go_through_their_states_one_explicit_step_at_a_time(api: Api) -> None:
    provider = api.provider()
    intervention = api.intervention(provider["provider_id"])
    path = f"/interventions/{intervention['intervention_id']}"
    steps = [
        ("activate", {}, "active"),
        ("suspend", {"reason": "safeguarding review"}, "suspended"),
        ("resume", {"effective_date": "2025-03-01"}, "active"),
        ("end", {"end_date": "2025-09-30", "reason": "retendered"}, "ended"),
    ]
    for version, (step, body, status) in enumerate(steps, start=1):
        response = api.post(f"{path}/{step}", body, if_match=f'"v{version}"')
        assert response.status_code == 200, response.json
        assert (response.json["status"], response.json["version"]) == (status, version + 1)
        assert response.headers["ETag"] == f'"v{version + 1}"'
    assert api.get(path).json["end_date"] == "2025-09-30"
    problem = refused(api.post(f"{path}/resume", if_match='"v5"'), 409, "status")
    assert "cannot resume an intervention that is ended" in problem["detail"]


def test_price_amendments_keep_the_history_and_never_rewrite_earlier_days(api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"])
    path = f"/interventions/{intervention['intervention_id']}/price-amendments"
    amended = api.post(
        path, {"effective_from": "2025-04-01", "unit_price_pounds": "110.50"}, if_match='"v2"'
    )
    assert amended.status_code == 200, amended.json
    assert amended.json["prices"] == [
        {"effective_from": "2025-01-01", "unit_price_pence": 10_000},
        {"effective_from": "2025-04-01", "unit_price_pence": 11_050},
    ]
    earlier = api.post(
        path, {"effective_from": "2025-03-01", "unit_price_pence": 1}, if_match='"v3"'
    )
    assert "earlier days keep their price" in refused(earlier, 409, "effective_from")["detail"]
    refused(
        api.post(path, {"effective_from": "2026-01-01", "unit_price_pence": 1}, if_match='"v3"'),
        422,
        "effective_from",
    )
    assert api.get(f"/interventions/{intervention['intervention_id']}").json["version"] == 3


def test_lists_filter_by_provider_category_status_and_a_day_and_are_paged(api: Api) -> None:
    oak, ash = api.provider()["provider_id"], api.provider()["provider_id"]
    early = api.active_intervention(oak, category="early_help", end_date="2025-03-31")
    later = api.active_intervention(oak, start_date="2025-06-01")
    draft = api.intervention(ash, category="early_help")

    def ids(**query: Any) -> list[str]:
        response = api.get("/interventions", **query)
        assert response.status_code == 200, response.json
        return [i["intervention_id"] for i in response.json["items"]]

    assert ids(provider_id=oak) == [early["intervention_id"], later["intervention_id"]]
    # same start date: ordered by id, so compare as a set
    assert set(ids(category="early_help")) == {early["intervention_id"], draft["intervention_id"]}
    assert ids(status="draft") == [draft["intervention_id"]]
    assert ids(active_on="2025-02-15") == [early["intervention_id"]]
    assert ids(active_on="2025-07-01") == [later["intervention_id"]]
    page = api.get("/interventions", page=2, page_size=2).json
    assert (page["total"], page["page"], len(page["items"])) == (3, 2, 1)
    refused(api.get("/interventions", active_on="soon"), 422, "active_on")
    refused(api.get("/interventions", page_size=0), 422, "page_size")


def test_children_are_enrolled_listed_and_their_enrolments_ended(api: Api) -> None:
    first = api.active_intervention(api.provider()["provider_id"])
    second = api.active_intervention(api.provider()["provider_id"])
    iid = first["intervention_id"]
    response = api.enrol(iid, "child-7f3a", "2025-02-01")
    enrolment = created(response)
    assert enrolment == {
        "enrolment_id": f"{iid}:e1",
        "intervention_id": iid,
        "provider_id": first["provider_id"],
        "child_ref": "child-7f3a",
        "start_date": "2025-02-01",
        "end_date": None,
        "end_reason": None,
        "status": "enrolled",
        "version": 1,
    }
    assert response.headers["Location"] == f"/enrolments/{iid}:e1"
    created(api.enrol(second["intervention_id"], "child-7f3a", "2025-02-01"))  # another at once
    created(api.enrol(iid, "child-9b21", "2025-03-01"))
    # enrolling never changes the intervention's version: the officers' ETag stays valid
    assert api.get(f"/interventions/{iid}").headers["ETag"] == '"v2"'

    by_child = api.get("/enrolments", child_ref="child-7f3a").json["items"]
    assert {e["intervention_id"] for e in by_child} == {iid, second["intervention_id"]}
    on_first = api.get("/enrolments", intervention_id=iid).json["items"]
    assert [e["child_ref"] for e in on_first] == ["child-7f3a", "child-9b21"]

    path = f"/enrolments/{iid}:e1"
    assert api.get(path).headers["ETag"] == '"v1"'
    ended = api.post(
        f"{path}/end", {"end_date": "2025-04-30", "reason": "goals met"}, if_match='"v1"'
    )
    assert ended.status_code == 200, ended.json
    assert (ended.json["status"], ended.json["end_date"], ended.json["end_reason"]) == (
        "ended",
        "2025-04-30",
        "goals met",
    )
    assert ended.headers["ETag"] == '"v2"'
    assert [e["enrolment_id"] for e in api.get("/enrolments", status="ended").json["items"]] == [
        f"{iid}:e1"
    ]
    refused(
        api.post(f"{path}/end", {"end_date": "2025-05-01", "reason": "x"}, if_match='"v2"'),
        409,
        "status",
    )
    # the same child may come back once the earlier enrolment has ended
    created(api.enrol(iid, "child-7f3a", "2025-05-01"))


def test_ending_an_intervention_ends_the_enrolments_still_open(api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"])
    iid = intervention["intervention_id"]
    created(api.enrol(iid, "child-aaa-1", "2025-02-01"))
    ended = api.post(f"/interventions/{iid}/end", {"end_date": "2025-06-30"}, if_match='"v2"')
    assert ended.status_code == 200, ended.json
    [enrolment] = api.get("/enrolments", intervention_id=iid).json["items"]
    assert (enrolment["status"], enrolment["end_date"], enrolment["end_reason"]) == (
        "ended",
        "2025-06-30",
        "intervention ended",
    )


def test_enrolling_past_capacity_is_refused_and_says_why(api: Api) -> None:
    iid = api.active_intervention(api.provider()["provider_id"], capacity=1)["intervention_id"]
    first = created(api.enrol(iid, "child-one-1", "2025-06-01"))
    problem = refused(api.enrol(iid, "child-two-1", "2025-02-01"), 409)
    assert "at capacity: 1 of 1" in problem["detail"]
    ended = api.post(
        f"/enrolments/{first['enrolment_id']}/end",
        {"end_date": "2025-06-30", "reason": "moved"},
        if_match='"v1"',
    )
    assert ended.status_code == 200
    problem = refused(api.enrol(iid, "child-two-1", "2025-02-01"), 409)  # still overlaps June
    created(api.enrol(iid, "child-two-1", "2025-07-01"))
    assert len(api.get("/enrolments", intervention_id=iid).json["items"]) == 2


def test_enrolments_outside_the_dates_on_a_wrong_state_or_twice_are_refused(api: Api) -> None:
    provider_id = api.provider()["provider_id"]
    draft = api.intervention(provider_id)["intervention_id"]
    active = api.active_intervention(provider_id)["intervention_id"]
    assert "this one is draft" in refused(api.enrol(draft, "child-a1", "2025-02-01"), 409)["detail"]
    refused(api.enrol(active, "child-a1", "2024-12-31"), 422, "start_date")
    refused(api.enrol(active, "child-a1", "2026-01-01"), 422, "start_date")
    created(api.enrol(active, "child-a1", "2025-02-01"))
    refused(api.enrol(active, "child-a1", "2025-08-01"), 409, "child_ref")
    refused(api.enrol(active, "Jane Smith", "2025-08-01"), 422, "child_ref")  # not a reference
    refused(api.enrol("int-nowhere", "child-b-1", "2025-02-01"), 404)
    api.post(f"/interventions/{active}/end", {"end_date": "2025-12-31"}, if_match='"v2"')
    assert (
        "this one is ended" in refused(api.enrol(active, "child-c1", "2025-03-01"), 409)["detail"]
    )
    assert len(api.get("/enrolments", intervention_id=active).json["items"]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price_pence": 12.5}, "unit_price_pence"),
        ({"unit_price_pence": 100.0}, "unit_price_pence"),
        ({"unit_price_pence": -1}, "unit_price_pence"),
        ({"unit_price_pounds": "1.005"}, "unit_price_pounds"),
        ({"unit_price_pounds": 110}, "unit_price_pounds"),
        # a string of digits in a pence field is refused, not read as pounds (£100 = 10000)
        ({"budget_pence": "10000"}, "budget_pence"),
        ({"budget_pence": "10000.00"}, "budget_pence"),
        ({"budget_pounds": "100.00"}, "budget_pounds"),  # beside budget_pence: which one?
        ({"budget_pence": True}, "budget_pence"),
        ({"budget_pence": -100}, "budget_pence"),
        ({"capacity": "3"}, "capacity"),
        ({"capacity": 0}, "capacity"),
        ({"category": "space_travel"}, "category"),
        ({"pricing_model": "per_hour"}, "pricing_model"),
        ({"start_date": "01/02/2025"}, "start_date"),
        ({"end_date": "2024-12-31"}, "end_date"),
        ({"target_indicators": ["Attendance"]}, "target_indicators.0"),
        ({"target_indicators": ["school_attendance", "school_atendance"]}, "target_indicators.1"),
        ({"target_indicators": ["in_eet", "in_eet"]}, "target_indicators"),
        ({"title": ""}, "title"),
        ({"provider_id": "prv-nobody"}, "provider_id"),
        ({"nickname": "Sunny"}, "nickname"),
    ],
)
def test_bad_intervention_input_is_refused_by_field_and_nothing_is_written(
    api: Api, change: dict[str, Any], field: str
) -> None:
    body = {**intervention_body(api.provider()["provider_id"]), **change}
    refused(api.post("/interventions", body), 422, field)
    assert api.get("/interventions").json["total"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/providers", {"name": "Oak", "kind": "pirate"}, "kind"),
        ("/providers", {"name": "Oak", "kind": "independent", "ofsted_urn": "12"}, "ofsted_urn"),
        ("/providers", {"kind": "independent"}, "name"),
        ("/providers", {"name": "Oak", "kind": "independent", "provider_id": "me"}, "provider_id"),
    ],
)
def test_bad_provider_input_is_refused_by_field(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    refused(api.post(path, body), 422, field)
    assert api.get("/providers").json["total"] == 0


def test_transitions_need_a_current_if_match(api: Api) -> None:
    intervention = api.intervention(api.provider()["provider_id"])
    path = f"/interventions/{intervention['intervention_id']}/activate"
    refused(api.post(path), 428, "If-Match")
    refused(api.post(path, if_match="v1"), 400, "If-Match")
    stale = refused(api.post(path, if_match='"v7"'), 412)
    assert "now version 1" in stale["detail"]
    refused(api.post(path, {"effective_date": "tomorrow"}, if_match='"v1"'), 422, "effective_date")
    refused(api.post(path, {"colour": "red"}, if_match='"v1"'), 422, "colour")
    assert api.get(f"/interventions/{intervention['intervention_id']}").json["status"] == "draft"


def test_the_openapi_document_describes_every_endpoint_and_its_errors(api: Api) -> None:
    spec = api.client.get("/openapi.json").json
    paths = spec["paths"]
    expected = {
        "/providers": {"get", "post"},
        "/providers/{provider_id}": {"get", "patch"},
        "/interventions": {"get", "post"},
        "/interventions/{intervention_id}": {"get"},
        "/interventions/{intervention_id}/activate": {"post"},
        "/interventions/{intervention_id}/suspend": {"post"},
        "/interventions/{intervention_id}/resume": {"post"},
        "/interventions/{intervention_id}/end": {"post"},
        "/interventions/{intervention_id}/price-amendments": {"post"},
        "/interventions/{intervention_id}/enrolments": {"post"},
        "/interventions/{intervention_id}/enrolments/batch": {"post"},
        "/enrolments": {"get"},
        "/enrolments/{enrolment_id}": {"get"},
        "/enrolments/{enrolment_id}/end": {"post"},
        "/audit": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert "403" in operation["responses"], (path, method)
            if method != "get":
                headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
                assert "Idempotency-Key" in headers, (path, method)
                assert "422" in operation["responses"], (path, method)
    suspend = paths["/interventions/{intervention_id}/suspend"]["post"]
    assert {"409", "412", "428"} <= set(suspend["responses"])
    assert "If-Match" in {p["name"] for p in suspend["parameters"]}
    schemas = spec["components"]["schemas"]
    assert {"Intervention", "InterventionCreate", "Enrolment", "Problem"} <= set(schemas)
    assert "prices" in schemas["Intervention"]["properties"]


def test_a_batch_enrols_each_row_or_refuses_it_in_one_change(api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"], capacity=10)
    iid = intervention["intervention_id"]
    rows = [
        {"child_ref": "child-a1", "start_date": "2025-02-01"},
        {"child_ref": "child-b2", "start_date": "2025-02-01", "end_date": "2025-03-31",
         "end_reason": "returned home"},
        {"child_ref": "child-a1", "start_date": "2025-03-01"},  # already enrolled from February
        {"child_ref": "child-c3", "start_date": "2025-04-01", "end_date": "2025-03-01"},
        {"child_ref": "child-d4", "start_date": "2026-01-01"},  # after the intervention ends
    ]  # fmt: skip
    response = api.post(f"/interventions/{iid}/enrolments/batch", {"enrolments": rows})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["enrolled"], body["refused"]) == (2, 3)
    assert [r["status"] for r in body["results"]] == [
        "enrolled", "enrolled", "refused", "refused", "refused",
    ]  # fmt: skip
    assert [r["errors"][0]["field"] for r in body["results"][2:]] == [
        "child_ref",
        "end_date",
        "start_date",
    ]
    ended = body["results"][1]["enrolment"]
    assert (ended["status"], ended["end_date"], ended["end_reason"], ended["version"]) == (
        "ended",
        "2025-03-31",
        "returned home",
        2,
    )
    listed = api.get("/enrolments", intervention_id=iid).json["items"]
    assert [(e["child_ref"], e["status"]) for e in listed] == [
        ("child-a1", "enrolled"),
        ("child-b2", "ended"),
    ]
    too_many = [{"child_ref": f"child-{n}", "start_date": "2025-02-01"} for n in range(501)]
    refused(api.post(f"/interventions/{iid}/enrolments/batch", {"enrolments": too_many}), 422)


def test_an_intervention_is_commissioned_with_its_amounts_in_pounds_fields(api: Api) -> None:
    body = intervention_body(api.provider()["provider_id"])
    del body["budget_pence"], body["unit_price_pence"]
    intervention = api.post(
        "/interventions", {**body, "budget_pounds": "10000", "unit_price_pounds": "450.5"}
    )
    assert (created(intervention)["budget_pence"], intervention.json["prices"][0]) == (
        1_000_000,
        {"effective_from": "2025-01-01", "unit_price_pence": 45_050},
    )
    refused(api.post("/interventions", body), 422, "budget_pence")


def test_a_correction_puts_right_what_was_recorded_wrongly(api: Api) -> None:
    intervention = api.active_intervention(api.provider()["provider_id"])
    path = f"/interventions/{intervention['intervention_id']}/corrections"
    typo = {"target_indicators": ["school_atendance"], "reason": "typo"}
    refused(api.post(path, typo, if_match='"v2"'), 422, "target_indicators.0")
    refused(api.post(path, {"title": "Mentoring"}, if_match='"v2"'), 422, "reason")
    refused(api.post(path, {"reason": "nothing to say"}, if_match='"v2"'), 422)
    correction = {
        "title": "Family support programme (Triple P)",
        "capacity": 3,
        "target_indicators": ["school_attendance", "suspensions_12m"],
        "budget_pounds": "25000.00",
        "reason": "the contract schedule was misread",
    }
    refused(api.post(path, correction, if_match='"v1"'), 412)
    corrected = api.post(path, correction, if_match='"v2"')
    assert corrected.status_code == 200, corrected.json
    assert corrected.headers["ETag"] == '"v3"'
    expected = {
        "title": "Family support programme (Triple P)",
        "capacity": 3,
        "target_indicators": ["school_attendance", "suspensions_12m"],
        "budget_pence": 2_500_000,
        "status": "active",
        "version": 3,
    }
    read = api.get(f"/interventions/{intervention['intervention_id']}").json
    assert {name: read[name] for name in expected} == expected
    api.enrol(intervention["intervention_id"], "child-c-1", "2025-02-01")
    api.enrol(intervention["intervention_id"], "child-c-2", "2025-02-01")
    fewer = {"capacity": 1, "reason": "fewer places than we thought"}
    refused(api.post(path, fewer, if_match='"v3"'), 409, "capacity")
