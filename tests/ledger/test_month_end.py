"""Month close, what was known as at a moment, reference tables and the exception rules, pure or
through the handlers over fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.ledger.domain import closing, exceptions, history, reference
from services.ledger.domain.history import EnrolmentRevision, InterventionRevision
from services.ledger.domain.model import Conflict, CostLine, RuleBroken
from services.ledger.service_layer import finance, handlers
from services.ledger.service_layer.commands import PostTransaction, RunAccruals
from services.ledger.service_layer.handlers import Ledger
from tests.ledger.builders import enrolment, intervention

T0 = datetime(2025, 5, 1, tzinfo=UTC)


def revision(
    version: int, status: str, effective: date, *, at: datetime = T0
) -> InterventionRevision:
    return InterventionRevision(intervention(version=version), status, effective, at)


def test_suspensions_run_from_the_suspension_to_the_day_before_resuming() -> None:
    revisions = [
        revision(2, "active", date(2025, 1, 1)),
        revision(3, "suspended", date(2025, 3, 10)),
        revision(5, "active", date(2025, 4, 1)),
        revision(4, "suspended", date(2025, 3, 20)),  # an amendment while suspended
        revision(6, "suspended", date(2025, 11, 1)),
    ]
    assert history.suspensions(revisions) == [
        (date(2025, 3, 10), date(2025, 3, 31)),
        (date(2025, 11, 1), date(2025, 12, 31)),  # still suspended: to the intervention's end
    ]
    ended = [revision(3, "suspended", date(2025, 3, 10)), revision(4, "ended", date(2025, 6, 30))]
    assert history.suspensions(ended) == [(date(2025, 3, 10), date(2025, 12, 31))]


def test_as_at_a_moment_each_aggregate_is_its_highest_version_recorded_by_then() -> None:
    later = T0 + timedelta(days=1)
    state = history.as_at(
        [
            revision(1, "active", date(2025, 1, 1)),
            revision(2, "suspended", date(2025, 2, 1), at=later),
        ],
        [
            EnrolmentRevision(enrolment(), T0),
            EnrolmentRevision(enrolment(end=date(2025, 3, 1), version=2), later),
            EnrolmentRevision(enrolment("en-2", child_ref="C002"), later),
        ],
        T0,
    )
    assert state.statuses == {"iv-1": "active"} and state.suspensions == {"iv-1": []}
    assert [e.end_date for e in state.enrolments_of("iv-1")] == [None]
    assert history.as_at([], [], T0).interventions == {}


def act(month: str, action: str, sequence: int) -> closing.MonthAction:
    return closing.MonthAction(month, sequence, action, "finance", T0 + timedelta(hours=sequence))


def test_a_month_is_closed_by_its_latest_action_by_the_moment() -> None:
    actions = [act("2025-04", "close", 1), act("2025-04", "reopen", 2), act("2025-05", "close", 1)]
    assert closing.closed_months(actions) == {"2025-05"}
    assert closing.closed_months(actions, T0 + timedelta(hours=1)) == {"2025-04", "2025-05"}
    assert closing.closed_months(actions, T0) == set()


def test_closing_twice_or_reopening_an_open_month_is_refused() -> None:
    history_ = [act("2025-04", "close", 1)]
    with pytest.raises(Conflict):
        closing.next_action("2025-04", "close", history_, by="f", at=T0, reason=None)
    with pytest.raises(Conflict):
        closing.next_action("2025-05", "reopen", history_, by="f", at=T0, reason=None)
    again = closing.next_action("2025-04", "reopen", history_, by="f", at=T0, reason="late invoice")
    assert (again.sequence, again.action_id) == (2, "2025-04:2")
    for bad in ("2025-13", "2025-4", "April"):
        with pytest.raises(RuleBroken) as refused:
            closing.next_action(bad, "close", [], by="f", at=T0, reason=None)
        assert refused.value.field == "month"


def test_the_first_open_day_skips_closed_months() -> None:
    closed = {"2025-04", "2025-05"}
    assert closing.first_open_day(date(2025, 4, 30), closed) == date(2025, 6, 1)
    assert closing.first_open_day(date(2025, 6, 30), closed) == date(2025, 6, 30)
    with pytest.raises(closing.MonthClosed) as refused:
        closing.check_open(date(2025, 5, 2), closed)
    assert refused.value.field == "accounting_date" and refused.value.status == 409


def test_in_a_closed_month_finance_is_refused_and_the_ledger_posts_on_the_first_open_day(
    ledger: Ledger,
) -> None:
    handlers.record_intervention(intervention(), source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(), source="e", ledger=ledger)
    finance.act_on_month("2025-01", "close", by="finance", reason=None, ledger=ledger)
    line = CostLine("C001", date(2025, 1, 6), date(2025, 1, 31), 100)
    post = PostTransaction("t-1", "accrual", "iv-1", "late", "api", (line,), date(2025, 1, 31))
    with pytest.raises(closing.MonthClosed):
        handlers.post_transaction(post, ledger=ledger)
    posted, _ = handlers.post_transaction(
        PostTransaction("t-2", "accrual", "iv-1", "late", "api", (line,), date(2025, 2, 3)),
        ledger=ledger,
    )
    assert posted.service_period == (date(2025, 1, 6), date(2025, 1, 31))
    run = handlers.run_accruals(
        RunAccruals(date(2025, 1, 1), date(2025, 1, 31), "run"), ledger=ledger
    )
    assert [t.accounting_date for t in run] == [date(2025, 2, 1)]
    assert run[0].lines[0].start == date(2025, 1, 6)


def test_reference_tables_read_as_at_a_moment_and_removals_stay_in_the_history() -> None:
    entries = []
    for value, hour in ((70_000, 1), (75_000, 2), (None, 3)):
        entries.append(
            reference.next_entry(
                reference.FRAMEWORK_CEILINGS, "fostering/per_child_week", value, entries,
                by="finance", at=T0 + timedelta(hours=hour),
            )
        )  # fmt: skip
    table = reference.FRAMEWORK_CEILINGS
    assert reference.table_as_at(entries, table, T0 + timedelta(hours=2)) == {
        "fostering/per_child_week": 75_000
    }
    assert reference.table_as_at(entries, table) == {}
    assert reference.table_as_at(entries, reference.COST_CENTRES) == {}


def test_high_cost_covers_daily_prices_and_leaves_blocks_and_sessions_out() -> None:
    daily = intervention(
        "iv-d", pricing_model="per_child_day", prices=((date(2025, 1, 1), 150_000),)
    )
    block = intervention(
        "iv-b", pricing_model="block_per_month", prices=((date(2025, 1, 1), 9_000_000),)
    )
    state = history.Commissioning(
        interventions={"iv-d": daily, "iv-b": block},
        enrolments={
            "iv-d": [
                enrolment(
                    "en-d", intervention_id="iv-d", start=date(2025, 1, 6), end=date(2025, 1, 12)
                ),
                enrolment(
                    "en-later", intervention_id="iv-d", child_ref="C9", start=date(2025, 2, 1)
                ),
            ],
            "iv-b": [enrolment("en-b", intervention_id="iv-b")],
        },
    )
    found = exceptions.high_cost_placements(
        state, on=date(2025, 1, 10), year_end=date(2025, 3, 31), threshold_pence=1_000_000,
        open_ended_to="year_end",
    )  # fmt: skip
    # £1,500 a day is £10,500 a week; 10-12 January is three days
    assert [(p.enrolment_id, p.weekly_cost_pence, p.cost_to_year_end_pence) for p in found] == [
        ("en-d", 1_050_000, 450_000)
    ]


def test_a_ceiling_counts_future_prices_but_not_past_ones() -> None:
    terms = intervention(prices=((date(2025, 1, 1), 90_000), (date(2025, 6, 1), 60_000)))
    ceilings = {reference.ceiling_key("family_support", "per_child_week"): 70_000}
    assert [
        p.unit_price_pence
        for p in exceptions.prices_above_ceiling([terms], ceilings, on=date(2025, 3, 1))
    ] == [90_000]
    assert exceptions.prices_above_ceiling([terms], ceilings, on=date(2025, 7, 1)) == []
    assert exceptions.prices_above_ceiling([terms], {}, on=date(2025, 3, 1)) == []
