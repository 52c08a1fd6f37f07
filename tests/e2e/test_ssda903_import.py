"""The fake SSDA903 return imported into a running system, checked against pandas.

The counts Acorn holds after the import (children, episodes, enrolments, open enrolments,
providers, interventions by category, observations by indicator) must equal an independent count
of the CSV files; the value service must show the same children and child-weeks for a year;
importing again must change nothing; and the canaries planted in the return (a date of birth, a
postcode, a UPN and the raw CHILD id) must appear in no event, database document, log line or
error.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kafka import KafkaConsumer
from pymongo import MongoClient

from deploy.paths import FAKE_SSDA903_RETURN
from services.imports import cli
from services.imports.adapters.acorn_api import AcornApi
from services.imports.domain.pseudonyms import child_ref
from services.imports.finance import import_finance
from services.imports.ssda903 import ImportReport, import_return
from shared.auth import mint_token
from tests.e2e.conftest import RunningSystem
from tests.support.bus import wait_until
from tests.support.identity import TEST_JWT

FAKE_RETURN = FAKE_SSDA903_RETURN
pytestmark = [
    pytest.mark.integration,
    # the DfE's fake return is reference material beside the repository, not part of it
    pytest.mark.skipif(
        not FAKE_RETURN.is_dir(),
        reason=f"no fake SSDA903 return at {FAKE_RETURN} (set ACORN_SHARED_DATA_DIR)",
    ),
]
KEY = "k" * 40
CANARY_CHILD = "CANARYCHILD7"
CANARY_DOB = ("29/02/2008", "2008-02-29")
CANARY_POSTCODE = ("ZZ99 3CZ", "ZZ993CZ")
CANARY_UPN = "A987654321098"
CANARIES = (CANARY_CHILD, *CANARY_DOB, *CANARY_POSTCODE, CANARY_UPN)
YEAR_END = date(2018, 3, 31)

# the test's own reading of the DfE's placement types (not the importer's table)
FOSTERING = {"U1", "U2", "U3", "U4", "U5", "U6"}
CATEGORY_CODES = {
    "residential_care": {"K1", "K2", "R1"},
    "supported_accommodation": {"H5", "P2"},
    "placed_with_parents": {"P1"},
}
OC2_COLUMNS = {
    "SDQ_SCORE": "sdq_total_difficulties",
    "HEALTH_CHECK": "health_assessment_up_to_date",
    "IMMUNISATIONS": "immunisations_up_to_date",
    "TEETH_CHECK": "dental_check_up_to_date",
    "CONVICTED": "offended_12m",
}


def token_for(role: str) -> str:
    return mint_token(TEST_JWT, roles=[role], subject=f"import-{role}")


def plant_canaries(folder: Path) -> None:
    """The first child of the return gets the canaries' identifier, birth date, UPN, postcode."""
    header = pd.read_csv(folder / "header.csv", dtype=str, keep_default_na=False)
    original = header.loc[0, "CHILD"]
    for name in ("header.csv", "episodes.csv", "oc2.csv"):
        table = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        mine = table["CHILD"] == original
        table.loc[mine, "CHILD"] = CANARY_CHILD
        if "DOB" in table:
            table.loc[mine, "DOB"] = CANARY_DOB[0]
        if "UPN" in table:
            table.loc[mine, "UPN"] = CANARY_UPN
        if "HOME_POST" in table:
            table.loc[mine, ["HOME_POST", "PL_POST"]] = CANARY_POSTCODE[0]
        table.to_csv(folder / name, index=False)


@dataclass
class Expected:
    children: int
    episodes: int
    enrolments: int
    open_enrolments: int
    providers: int
    categories: Counter[str]
    observations: Counter[str]
    child_weeks_fy2017: float
    children_fy2017: int


def expected_counts(folder: Path) -> Expected:
    """Counted with pandas from the CSVs, by the return's rules, not the importer's code."""
    header = pd.read_csv(folder / "header.csv", dtype=str)
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str)
    oc2 = pd.read_csv(folder / "oc2.csv", dtype=str)
    episodes["start"] = pd.to_datetime(episodes["DECOM"], format="%d/%m/%Y")
    episodes["ceased"] = pd.to_datetime(episodes["DEC"], format="%d/%m/%Y")
    episodes = episodes.sort_values(["CHILD", "start"], kind="stable")
    previous = episodes.groupby("CHILD")[["ceased", "PLACE", "PLACE_PROVIDER"]].shift()
    has_previous = episodes["CHILD"].eq(episodes["CHILD"].shift())
    overlaps = has_previous & (previous["ceased"].isna() | (episodes["start"] < previous["ceased"]))
    left_out = set(episodes.loc[overlaps, "CHILD"])
    kept = episodes[~episodes["CHILD"].isin(left_out)].copy()
    previous = previous.loc[kept.index]
    continues = (
        kept["CHILD"].eq(kept["CHILD"].shift())
        & kept["start"].eq(previous["ceased"])
        & kept["PLACE"].eq(previous["PLACE"])
        & kept["PLACE_PROVIDER"].eq(previous["PLACE_PROVIDER"])
    )
    kept["stay"] = (~continues).cumsum()
    stays = kept.groupby("stay").agg(
        child=("CHILD", "first"), place=("PLACE", "first"), provider=("PLACE_PROVIDER", "first"),
        start=("start", "first"), ceased=("ceased", lambda days: days.iloc[-1]),
    )  # fmt: skip
    one_day = ~(stays["ceased"] > stays["start"]) & stays["ceased"].notna()
    stays["last"] = (stays["ceased"] - pd.Timedelta(days=1)).mask(one_day, stays["start"])

    def category(place: str, provider: str) -> str:
        if place in FOSTERING:
            return "in_house_fostering" if provider == "PR1" else "independent_fostering"
        return next((c for c, codes in CATEGORY_CODES.items() if place in codes), "other")

    pairs = stays[["place", "provider"]].drop_duplicates()
    categories = Counter(category(p, pr) for p, pr in pairs.itertuples(index=False))
    readings = oc2[oc2["CHILD"].isin(set(header["CHILD"]) - left_out)]
    observations = Counter(
        {code: int(readings[column].notna().sum()) for column, code in OC2_COLUMNS.items()}
    )
    fy_start, fy_end = pd.Timestamp("2017-04-01"), pd.Timestamp("2018-03-31")
    intervention_end = pd.Timestamp("2023-03-31")
    last = stays["last"].fillna(intervention_end).clip(upper=fy_end)
    first = stays["start"].clip(lower=fy_start)
    days = ((last - first).dt.days + 1).clip(lower=0)
    return Expected(
        children=stays["child"].nunique(),
        episodes=len(kept),
        enrolments=len(stays),
        open_enrolments=int(stays["ceased"].isna().sum()),
        providers=stays["provider"].nunique(),
        categories=categories,
        observations=observations,
        child_weeks_fy2017=round(days.sum() / 7, 2),
        children_fy2017=stays.loc[days > 0, "child"].nunique(),
    )


@dataclass
class Imported:
    folder: Path
    first: ImportReport
    again: ImportReport
    printed: str
    api: AcornApi


@pytest.fixture(scope="module")
def imported(system: RunningSystem, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    folder = tmp_path_factory.mktemp("return") / "903"
    shutil.copytree(FAKE_RETURN, folder)
    plant_canaries(folder)
    api = AcornApi(system.urls, token_for)
    wait_until(lambda: api.get("outcomes", "/indicators", role="commissioner")["items"])
    first = import_return(folder, api=api, pseudonym_key=KEY, say=lambda _: None)
    printed = io.StringIO()
    refused = folder.parent / "refused.csv"
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        assert cli.main(["903", str(folder), "--refused", str(refused)], api=api,
                        environ={cli.PSEUDONYM_KEY: KEY}) == 0  # fmt: skip
    again = import_return(folder, api=api, pseudonym_key=KEY, check_only=True)
    return Imported(folder, first, again, printed.getvalue() + refused.read_text(), api)


def our_enrolments(api: AcornApi) -> list[dict[str, Any]]:
    return api.all_pages("commissioning", "/enrolments", role="commissioner")


def test_acorn_holds_what_pandas_counts_in_the_return(imported: Imported) -> None:
    expected = expected_counts(imported.folder)
    api = imported.api
    enrolments = our_enrolments(api)
    interventions = api.all_pages("commissioning", "/interventions", role="commissioner")
    providers = api.all_pages("commissioning", "/providers", role="commissioner")
    assert len({e["child_ref"] for e in enrolments}) == expected.children
    assert sum(len(s.lines) for s in imported.first.plan.enrol) == expected.episodes
    assert len(enrolments) == expected.enrolments
    assert sum(e["end_date"] is None for e in enrolments) == expected.open_enrolments
    assert len(providers) == expected.providers
    assert Counter(i["category"] for i in interventions) == expected.categories
    assert all(i["status"] == "active" for i in interventions)

    def indicators_of(child: str) -> list[str]:
        path = f"/children/{child}/observations"
        found = api.all_pages("outcomes", path, role="commissioner")
        assert all(o["source"] == "council" and o["observed_on"] == "2018-03-31" for o in found)
        return [o["indicator_code"] for o in found]

    children = {r.child_ref for r in imported.first.plan.record}
    with ThreadPoolExecutor(8) as pool:
        observed = Counter(code for codes in pool.map(indicators_of, children) for code in codes)
    assert observed == expected.observations


def test_the_value_service_shows_those_children_and_child_weeks(imported: Imported) -> None:
    expected = expected_counts(imported.folder)
    query = {"fy": "2017", "group_by": "category", "basis": "accrued"}

    def total() -> dict[str, Any] | None:
        answer = imported.api.get("value", "/reports/cost-per-outcome", role="finance", **query)
        figures = answer["total"]
        return figures if figures["children_served"] == expected.children_fy2017 else None

    figures = wait_until(total, timeout=60, what="the value service to learn the enrolments")
    assert float(figures["child_weeks"]) == pytest.approx(expected.child_weeks_fy2017, abs=0.01)


def test_importing_again_changes_nothing(imported: Imported) -> None:
    again = imported.again.plan
    assert again.writes_nothing
    assert again.unchanged_stays == len(imported.first.plan.enrol)
    assert again.unchanged_readings == len(imported.first.plan.record)
    assert "enrolments: 0 new (0 open), 0 ended" in imported.printed


def test_every_refused_row_names_file_line_column_and_reason(imported: Imported) -> None:
    refusals = imported.first.refusals
    assert refusals, "the fake return has overlapping episodes"
    assert all(r.file and r.line > 1 and r.reason for r in refusals)
    assert {r.column for r in refusals} >= {"DECOM", ""}


def test_no_canary_reaches_an_event_a_document_a_log_or_an_error(
    imported: Imported, system: RunningSystem, mongo_client: MongoClient[dict[str, Any]],
    kafka_bootstrap: str,
) -> None:  # fmt: skip
    assert CANARY_CHILD in (imported.folder / "header.csv").read_text()
    where: list[str] = []
    for name in system.databases.values():
        for collection in mongo_client[name].list_collection_names():
            for document in mongo_client[name][collection].find():
                text = str(document)
                where += [f"{name}.{collection}" for c in CANARIES if c in text]
    consumer = KafkaConsumer(
        *system.topics, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        consumer_timeout_ms=3000, enable_auto_commit=False,
    )  # fmt: skip
    for message in consumer:
        text = message.value.decode(errors="replace")
        where += [f"topic {message.topic}" for c in CANARIES if c in text]
    consumer.close()
    for log in system.logs:
        text = log.read_text(errors="replace")
        where += [f"log {log.name}" for c in CANARIES if c in text]
    where += ["the import's output" for c in CANARIES if c in imported.printed]
    assert where == []


def test_a_finance_export_posts_each_good_line_once_and_refuses_the_rest(
    imported: Imported, tmp_path: Path
) -> None:
    api = imported.api
    providers = {p["name"]: p["provider_id"] for p in api.all_pages(
        "commissioning", "/providers", role="commissioner")}  # fmt: skip
    private = providers["Private provision"]
    homes = [i for i in api.all_pages("commissioning", "/interventions", role="commissioner",
                                      provider_id=private)]  # fmt: skip
    home = next(i for i in homes if i["title"].startswith("Children's home"))
    child = pd.read_csv(imported.folder / "header.csv", dtype=str)["CHILD"].iloc[1]
    export = tmp_path / "export.csv"
    export.write_text(
        "supplier_ref,invoice_number,line,amount,period_start,period_end,cost_centre,child_ref\n"
        f"SUP1,INV-9,1,1250.00,01/04/2017,30/04/2017,CC-HOME,{child}\n"  # 2 posted
        "SUP1,INV-9,2,80.50,2017-04-01,2017-04-30,CC-HOME,\n"  # 3 posted, no child
        "SUP1,INV-9,3,12.345,01/04/2017,30/04/2017,CC-HOME,\n"  # 4 three decimals
        "SUP1,INV-9,4,10.00,01/04/2017,30/04/2017,CC-NONE,\n"  # 5 unmapped cost centre
        "SUP1,INV-9,5,10.00,01/04/2017,30/04/2017,CC-RES,\n"  # 6 three residential ones
        "SUP1,INV-9,6,10.00,30/04/2017,01/04/2017,CC-HOME,\n"  # 7 period backwards
        f"SUP1,INV-9,1,1250.00,01/04/2017,30/04/2017,CC-HOME,{child}\n"  # 8 repeats line 2
    )
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        "kind,code,acorn\n"
        f"supplier,SUP1,{private}\n"
        f"cost_centre,CC-HOME,{home['intervention_id']}\n"
        "cost_centre,CC-RES,category:residential_care\n"
    )
    first = import_finance(export, mapping, api=api, pseudonym_key=KEY)
    assert (first.lines, first.posted, first.already_posted) == (7, 2, 0)
    assert first.pence_posted == 133_050
    assert [(r.line, r.column) for r in first.refusals] == [
        (4, "amount"), (5, "cost_centre"), (6, "cost_centre"), (7, "period_end"), (8, "line"),
    ]  # fmt: skip
    again = import_finance(export, mapping, api=api, pseudonym_key=KEY)
    assert (again.posted, again.already_posted) == (0, 2)
    posted = api.all_pages("ledger", "/transactions", role="finance",
                           intervention_id=home["intervention_id"], kind="invoice")  # fmt: skip
    assert sorted(t["invoice_number"] for t in posted) == ["INV-9/1", "INV-9/2"]
    assert child not in str(posted)
    assert {line["child_ref"] for t in posted for line in t["lines"]} == {
        child_ref(KEY, child),
        None,
    }
