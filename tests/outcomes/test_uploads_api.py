"""Spreadsheet uploads of observations (CSV and XLSX) on the real stack: good and bad rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from services.outcomes.service_layer.errors import NOT_HELD
from tests.outcomes.conftest import BATCH_LIMIT, Stack
from tests.support.bus import wait_until

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
Ids = Callable[[str], str]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["child_ref", "indicator_code", "value", "observed_on", "evidence_ref"]


def day(days_ago: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days_ago)


def upload(stack: Stack, headers: dict[str, str], body: bytes, media_type: str, **query: str):  # type: ignore[no-untyped-def]
    return stack.client.post(
        "/observations/upload",
        data=body,
        headers={**headers, "Content-Type": media_type},
        query_string=query,
    )


def mixed_rows(held: str, stranger: str) -> list[list[Any]]:
    return [
        [held, "school_attendance", 91.5, day(10).strftime("%d/%m/%Y"), "term-3"],  # 2 recorded
        [held, "school_attendance", 91.5, day(10).strftime("%d/%m/%Y"), "term-3"],  # 3 duplicate
        [held, "no_such_indicator", 5, day(10).isoformat(), ""],  # 4 invalid indicator
        [held, "school_attendance", "ninety", day(10).isoformat(), ""],  # 5 not a number
        [stranger, "school_attendance", 80, day(10).isoformat(), ""],  # 6 not held
        ["", "", "", "", ""],  # blank: skipped
        [held, "sdq_total_difficulties", 14, day(9).isoformat(), ""],  # 8 recorded
    ]


def as_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode()


def as_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:  # dates as date cells, as a spreadsheet holds them
        cells = list(row)
        if cells[3]:
            text = str(cells[3])
            cells[3] = (
                datetime.strptime(text, "%d/%m/%Y").date()
                if "/" in text
                else date.fromisoformat(text)
            )
        sheet.append([cell if cell != "" else None for cell in cells])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("media_type", "encode"), [(CSV, as_csv), (XLSX, as_xlsx)])
def test_an_upload_answers_each_row_by_its_line_and_records_a_repeat_once(
    stack: Stack, auth: Auth, ids: Ids, media_type: str, encode: Callable[..., bytes]
) -> None:
    provider, held, stranger = ids("prov"), ids("child"), ids("child")
    stack.enrol(provider, held, day(100))
    response = upload(
        stack,
        auth("provider", provider_id=provider),
        encode(mixed_rows(held, stranger)),
        media_type,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["recorded"], body["refused"], body["duplicates"]) == (2, 3, 1)
    statuses = {r["line"]: r["status"] for r in body["results"]}
    assert statuses == {
        2: "recorded", 3: "duplicate", 4: "invalid", 5: "invalid", 6: "forbidden", 8: "recorded",
    }  # fmt: skip
    results = {r["line"]: r for r in body["results"]}
    assert results[3]["observation_id"] == results[2]["observation_id"]
    assert results[4]["errors"][0]["field"] == "indicator_code"
    assert results[5]["errors"] == [{"field": "value", "reason": "must be a number"}]
    assert results[6]["errors"] == [{"field": "child_ref", "reason": NOT_HELD}]
    held_readings = stack.client.get(
        f"/children/{held}/observations", headers=auth("provider", provider_id=provider)
    ).json["items"]
    assert sorted(o["indicator_code"] for o in held_readings) == [
        "school_attendance",
        "sdq_total_difficulties",
    ]


def refused_as_file(stack: Stack, headers: dict[str, str], sheet: bytes) -> str:
    response = upload(stack, headers, sheet, CSV, format="csv")
    assert response.status_code == 200
    assert response.mimetype == CSV
    return str(response.get_data(as_text=True))


def refused_in_results(stack: Stack, headers: dict[str, str], sheet: bytes) -> str:
    response = upload(stack, headers, sheet, CSV, refused_file="true")
    assert response.status_code == 200
    assert response.json["refused"] == 3
    return str(response.json["refused_rows_csv"])


@pytest.mark.parametrize("ask", [refused_as_file, refused_in_results])
def test_the_refused_rows_come_back_as_a_file_with_their_reasons(
    stack: Stack, auth: Auth, ids: Ids, ask: Callable[..., str]
) -> None:
    provider, held, stranger = ids("prov"), ids("child"), ids("child")
    stack.enrol(provider, held, day(100))
    headers = auth("provider", provider_id=provider)
    lines = list(
        csv.DictReader(io.StringIO(ask(stack, headers, as_csv(mixed_rows(held, stranger)))))
    )
    assert [line["line"] for line in lines] == ["4", "5", "6"]
    assert "indicator_code" in lines[0]["reason"] and "value" in lines[1]["reason"]
    assert lines[2]["child_ref"] == stranger


def test_the_results_carry_no_file_unless_asked(stack: Stack, auth: Auth, ids: Ids) -> None:
    provider, held = ids("prov"), ids("child")
    stack.enrol(provider, held, day(100))
    answer = upload(
        stack, auth("provider", provider_id=provider),
        as_csv([[held, "school_attendance", 90, day(8).isoformat(), ""]]), CSV,
    )  # fmt: skip
    assert answer.json["recorded"] == 1 and "refused_rows_csv" not in answer.json


def test_a_file_that_is_not_a_sheet_of_observations_is_refused_whole(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    headers = auth("provider", provider_id=ids("prov"))
    wrong_header = upload(stack, headers, b"child,reading\nc1,5\n", CSV)
    assert wrong_header.status_code == 422
    assert "child_ref" in str(wrong_header.json)
    not_xlsx = upload(stack, auth("provider", provider_id=ids("prov")), b"not a workbook", XLSX)
    assert not_xlsx.status_code == 422
    other = upload(stack, auth("provider", provider_id=ids("prov")), b"{}", "application/json")
    assert other.status_code == 422
    too_many = as_csv(
        [[ids("child"), "school_attendance", 1, day(1).isoformat(), ""]] * (BATCH_LIMIT + 1)
    )
    assert (
        upload(stack, auth("provider", provider_id=ids("prov")), too_many, CSV).status_code == 422
    )


def template_indicators(stack: Stack, headers: dict[str, str]) -> list[str]:
    workbook = stack.client.get("/observations/template", headers=headers)
    assert workbook.mimetype == XLSX
    sheets = load_workbook(io.BytesIO(workbook.data), read_only=True)
    return [row[0] for row in sheets["indicators"].iter_rows(min_row=2, values_only=True)]


def test_the_template_lists_the_columns_and_the_indicators_of_the_providers_interventions(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, other = ids("prov"), ids("prov")
    headers = auth("provider", provider_id=provider)
    as_text = stack.client.get(
        "/observations/template", headers=headers, query_string={"format": "csv"}
    )
    assert (
        as_text.get_data(as_text=True).splitlines()[0].startswith("child_ref,indicator_code,value")
    )
    mentoring = stack.publish_intervention(
        provider_id=provider, target_indicators=["school_attendance"]
    )
    stack.publish_intervention(provider_id=provider, target_indicators=["in_eet"])
    stack.publish_intervention(provider_id=other, target_indicators=["sdq_total_difficulties"])
    wait_until(
        lambda: sorted(template_indicators(stack, headers)) == ["in_eet", "school_attendance"],
        what="the provider's two interventions' indicators in its template",
    )
    # a later version of an intervention replaces its targets; an older one arriving late does not
    stack.publish_intervention(
        provider_id=provider, target_indicators=["sdq_total_difficulties"],
        intervention_id=mentoring, version=3,
    )  # fmt: skip
    stack.publish_intervention(
        provider_id=provider, target_indicators=["school_attendance"],
        intervention_id=mentoring, version=2,
    )  # fmt: skip
    wait_until(
        lambda: sorted(template_indicators(stack, headers)) == ["in_eet", "sdq_total_difficulties"],
        what="the intervention's newest targets",
    )
    council = template_indicators(stack, auth("commissioner"))
    assert {"school_attendance", "in_eet", "sdq_total_difficulties"} <= set(council)
