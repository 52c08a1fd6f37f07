"""The report use cases through a fake read model: card, reconciliation, suppression, periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.value.domain.model import Period
from services.value.domain.periods import PeriodError, resolve_period
from services.value.service_layer.reports import (
    ReportQuery,
    build_cost_per_outcome,
    build_reconciliation,
    build_report_card,
)
from tests.value.builders import (
    FY2024,
    d,
    enrolment,
    indicator,
    intervention,
    line,
    observation,
    worked_example,
)
from tests.value.fakes import FakeReadModel


def query(**kwargs: object) -> ReportQuery:
    return replace(ReportQuery(period=FY2024, suppression_threshold=0), **kwargs)  # type: ignore[arg-type]


def test_report_card_answers_the_three_questions() -> None:
    [a, b] = build_report_card(FakeReadModel({"invoiced": worked_example()}), query())["cards"]
    assert a["how_much"]["sentence"] == (
        "We worked with 1 child for 12.0 child-weeks and spent £1,200.00."
    )
    assert a["how_well"]["cost_per_child_week"] == "£100.00"
    assert b["how_well"]["cost_per_child_week"] == "£300.00"
    assert a["how_well"]["current_outcome_data_percent"] == "100.0"  # 2025-03-28 is recent
    # both observations were recorded at noon on the day they were observed
    assert a["how_well"]["median_days_to_report"] == 0
    [attendance] = a["is_anyone_better_off"]
    assert (attendance["better_off"], attendance["better_off_percent"]) == (1, "100.0")


def test_report_card_suppresses_small_counts() -> None:
    model = FakeReadModel({"invoiced": worked_example()})
    [card, _] = build_report_card(model, query(suppression_threshold=5))["cards"]
    assert card["how_much"]["children_served"] == "suppressed"
    assert card["is_anyone_better_off"][0]["better_off"] == "suppressed"
    assert card["is_anyone_better_off"][0]["better_off_percent"] is None
    assert card["how_much"]["spend"] == "£1,200.00"


def test_report_card_counts_late_reporting() -> None:
    facts = worked_example()
    late = replace(observation("C1", "2025-03-01", 85), recorded_at="2025-04-15T08:00:00Z")
    facts.observations.append(late)
    [card, _] = build_report_card(FakeReadModel({"invoiced": facts}), query())["cards"]
    assert card["how_well"]["observations_reported"] == 3
    assert card["how_well"]["observations_reported_within_30_days"] == 2


def test_report_card_median_delay_is_halfway_between_the_middle_two() -> None:
    facts = worked_example()  # C1's two observations were recorded the day they were made
    facts.observations.extend(
        [
            replace(observation("C1", "2025-03-01", 85), recorded_at="2025-03-31T08:00:00Z"),
            replace(observation("C1", "2025-02-01", 84), recorded_at="2025-03-18T08:00:00Z"),
        ]
    )
    [card, _] = build_report_card(FakeReadModel({"invoiced": facts}), query())["cards"]
    assert card["how_well"]["observations_reported"] == 4  # delays 0, 0, 30 and 45 days
    assert card["how_well"]["median_days_to_report"] == 15
    assert card["how_well"]["observations_reported_within_30_days"] == 3  # 30 days is in time
    facts.observations.pop()
    [card, _] = build_report_card(FakeReadModel({"invoiced": facts}), query())["cards"]
    assert card["how_well"]["median_days_to_report"] == 0  # 0, 0, 30: the middle one


def test_each_card_counts_only_its_own_childrens_readings_of_its_own_indicators() -> None:
    """C1 is on A (attendance) and B (wellbeing); C2 on B only; C3 on nothing."""
    facts = worked_example()
    facts.interventions["B"] = intervention("B", targets=("wellbeing",))
    facts.indicators["wellbeing"] = indicator("wellbeing")
    facts.enrolments.append(enrolment("B", "C2", "2025-01-06", "2025-03-30"))
    late = replace(observation("C2", "2025-01-10", 30, "wellbeing"), recorded_at="2025-03-01")
    facts.observations.extend(
        [
            observation("C1", "2025-01-03", 50, "wellbeing"),
            observation("C1", "2025-03-27", 60, "wellbeing"),
            late,
            observation("C2", "2025-03-28", 50, "wellbeing"),
            observation("C3", "2025-03-28", 99, "attendance"),
        ]
    )
    cards = build_report_card(FakeReadModel({"invoiced": facts}), query())["cards"]
    a, b = ({card["group"]: card for card in cards}[key] for key in "AB")
    assert a["how_well"]["observations_reported"] == 2  # C1's attendance, not C3's
    assert b["how_well"]["observations_reported"] == 4  # C1's and C2's wellbeing
    assert b["how_well"]["observations_reported_within_30_days"] == 3  # C2's January one was late
    assert b["how_well"]["children_with_current_outcome_data"] == 2
    [wellbeing] = b["is_anyone_better_off"]
    assert (wellbeing["children_measured"], wellbeing["better_off"]) == (2, 2)
    [attendance] = a["is_anyone_better_off"]
    assert (attendance["children_measured"], attendance["better_off"]) == (1, 1)


def test_reconciliation_balances_over_whole_service_periods() -> None:
    body = build_reconciliation(FakeReadModel({"invoiced": worked_example()}), query())
    assert body["balanced"] and body["differences"] == []
    assert body["report_spend_pence"] == body["ledger_spend_pence"] == 480_000


def test_reconciliation_lists_transactions_a_period_cuts_differently() -> None:
    facts = worked_example()
    facts.enrolments.append(enrolment("A", "C2", "2025-01-01", "2025-01-10"))
    facts.lines.append(line("A", None, "2025-01-01", "2025-01-31", 31_000, "tx-block"))
    january_10 = Period(d("2025-01-01"), d("2025-01-10"))
    body = build_reconciliation(
        FakeReadModel({"invoiced": facts}, kinds={"tx-block": "invoice"}), query(period=january_10)
    )
    # the block follows enrolled child-days (C1 26, C2 10 in January), not calendar days:
    # 15 of its 36 child-days fall in 1-10 January
    [difference] = body["differences"]
    assert difference["transaction_id"] == "tx-block"
    assert difference["ledger_pence"] == 10_000  # 10 of 31 calendar days
    assert difference["report_pence"] == round(31_000 * 15 / 36)
    assert not body["balanced"]
    assert body["difference_pence"] == body["report_spend_pence"] - body["ledger_spend_pence"]


def test_reports_use_only_the_chosen_cost_basis() -> None:
    model = FakeReadModel({"invoiced": worked_example()})
    assert build_cost_per_outcome(model, query(basis="paid"))["total"]["spend_pence"] == 0
    assert build_cost_per_outcome(model, query())["total"]["spend_pence"] == 480_000


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"fy": 2024}, ("2024-04-01", "2025-03-31")),
        ({"fy": 2024, "quarter": 1}, ("2024-04-01", "2024-06-30")),
        ({"fy": 2024, "quarter": 4}, ("2025-01-01", "2025-03-31")),
        ({"month": "2024-02"}, ("2024-02-01", "2024-02-29")),
        ({"start": date(2025, 1, 6), "end": date(2025, 1, 6)}, ("2025-01-06", "2025-01-06")),
    ],
)
def test_periods(kwargs: dict[str, object], expected: tuple[str, str]) -> None:
    period = resolve_period(**kwargs)  # type: ignore[arg-type]
    assert (period.start.isoformat(), period.end.isoformat()) == expected


@pytest.mark.parametrize(
    "kwargs", [{}, {"quarter": 1}, {"fy": 2024, "month": "2024-05"}, {"start": date(2025, 1, 1)}]
)
def test_ambiguous_periods_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(PeriodError):
        resolve_period(**kwargs)  # type: ignore[arg-type]


def test_report_card_for_an_intervention_nobody_was_enrolled_on() -> None:
    facts = worked_example()
    facts.interventions["EMPTY"] = intervention("EMPTY")
    facts.lines.append(line("EMPTY", None, "2025-01-01", "2025-01-31", 31_000, "tx-empty"))
    cards = build_report_card(FakeReadModel({"invoiced": facts}), query())["cards"]
    [empty] = [card for card in cards if card["group"] == "EMPTY"]
    assert empty["how_much"]["spend"] == "£310.00" and empty["how_much"]["children_served"] == 0
    assert empty["how_well"]["cost_per_child_week"] is None
    [attendance] = empty["is_anyone_better_off"]
    assert attendance["children_measured"] == 0 and attendance["better_off_percent"] is None


def test_rows_and_cards_are_ordered_by_what_people_read_not_by_id() -> None:
    facts = worked_example()
    titled = {"A": "Zebra crossing tutoring", "B": "attendance mentoring"}
    facts = replace(
        facts,
        interventions={k: replace(i, title=titled[k]) for k, i in facts.interventions.items()},
    )
    model = FakeReadModel({"invoiced": facts})
    rows = build_cost_per_outcome(model, query())["rows"]
    assert [row["group"] for row in rows] == ["B", "A"]  # "attendance" before "Zebra", any case
    cards = build_report_card(model, query())["cards"]
    assert [card["group"] for card in cards] == ["B", "A"]


def test_a_report_on_a_basis_with_nothing_recorded_says_so() -> None:
    model = FakeReadModel({"invoiced": worked_example()})
    invoiced = build_cost_per_outcome(model, query())
    assert (invoiced["spend_recorded_on_basis"], invoiced["notice"]) == (True, None)

    for build in (build_cost_per_outcome, build_report_card, build_reconciliation):
        accrued = build(model, query(basis="accrued"))
        assert accrued["spend_recorded_on_basis"] is False
        assert accrued["notice"].startswith("No spend is recorded on the accrued basis")
        assert "accrual runs" in accrued["notice"]

    # the basis has spend, but none of it was for days of this period
    before = build_cost_per_outcome(model, query(period=Period(d("2023-04-01"), d("2024-03-31"))))
    assert before["spend_recorded_on_basis"] is False
    assert before["notice"].startswith("No spend is recorded on the invoiced basis")
