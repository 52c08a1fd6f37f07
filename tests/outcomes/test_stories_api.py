"""The story behind a curve through the API on the real database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.outcomes.conftest import Stack

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
PATH = "/indicators/school_attendance/stories"


def test_each_save_is_a_new_version_read_oldest_first_per_cohort(stack: Stack, auth: Auth) -> None:
    for text in ("Attendance fell after the summer.", "Mentoring began in October: watch it."):
        saved = stack.client.post(PATH, json={"text": text}, headers=auth("finance"))
        assert saved.status_code == 201, saved.json
    stack.client.post(
        PATH, json={"text": "High need: flat.", "cohort": "high"}, headers=auth("commissioner")
    )

    everyone = stack.client.get(PATH, headers=auth("auditor")).json["items"]
    assert [s["text"] for s in everyone][-2:] == [
        "Attendance fell after the summer.",
        "Mentoring began in October: watch it.",
    ]
    assert {s["cohort"] for s in everyone} == {"all"}
    assert everyone[-1]["written_by"] == "user-finance"
    high = stack.client.get(f"{PATH}?cohort=high", headers=auth("finance")).json["items"]
    assert [s["text"] for s in high] == ["High need: flat."]


def test_a_story_is_refused_naming_the_field_the_role_or_the_indicator(
    stack: Stack, auth: Auth
) -> None:
    empty = stack.client.post(PATH, json={"text": ""}, headers=auth("finance"))
    assert empty.status_code == 422 and "text" in str(empty.json)
    cohort = stack.client.post(
        PATH, json={"text": "x", "cohort": "everyone"}, headers=auth("finance")
    )
    assert cohort.status_code == 422 and "cohort" in str(cohort.json)
    provider = auth("provider", provider_id="prv-x")
    assert stack.client.post(PATH, json={"text": "x"}, headers=provider).status_code == 403
    assert stack.client.get(PATH, headers=provider).status_code == 403
    unknown = stack.client.post(
        "/indicators/no_such/stories", json={"text": "x"}, headers=auth("finance")
    )
    assert unknown.status_code == 404
