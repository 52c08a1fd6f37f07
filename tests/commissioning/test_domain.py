"""The commissioning rules, as pure functions: no database, no HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.commissioning.domain.errors import Conflict, Invalid
from services.commissioning.domain.model import Intervention, PricePeriod, intervention_of

START, END = date(2025, 1, 1), date(2025, 12, 31)


def intervention(capacity: int = 2, status: str = "active") -> Intervention:
    return Intervention(
        intervention_id="int-1",
        provider_id="prv-1",
        title="Family support",
        category="family_support",
        pricing_model="per_child_week",
        prices=[PricePeriod(START, 10_000)],
        capacity=capacity,
        start_date=START,
        end_date=END,
        budget_pence=1_000_000,
        target_indicators=["school_attendance"],
        status=status,
    )


def test_an_intervention_cannot_end_before_it_starts() -> None:
    with pytest.raises(Invalid) as refused:
        Intervention(**{**intervention().__dict__, "end_date": date(2024, 12, 31)})
    assert refused.value.field == "end_date"


@pytest.mark.parametrize(
    ("status", "move", "after"),
    [
        ("draft", "activate", "active"),
        ("active", "suspend", "suspended"),
        ("suspended", "resume", "active"),
    ],
)
def test_allowed_status_moves_bump_the_version(status: str, move: str, after: str) -> None:
    subject = intervention(status=status)
    getattr(subject, move)()
    assert (subject.status, subject.version) == (after, 2)


@pytest.mark.parametrize(
    ("status", "move"),
    [
        ("active", "activate"),
        ("suspended", "activate"),
        ("ended", "activate"),
        ("draft", "suspend"),
        ("suspended", "suspend"),
        ("ended", "suspend"),
        ("draft", "resume"),
        ("active", "resume"),
        ("ended", "resume"),
    ],
)
def test_refused_status_moves_change_nothing(status: str, move: str) -> None:
    subject = intervention(status=status)
    with pytest.raises(Conflict, match=f"cannot {move} an intervention that is {status}"):
        getattr(subject, move)()
    assert (subject.status, subject.version) == (status, 1)


def test_an_ended_intervention_cannot_end_again() -> None:
    subject = intervention(status="ended")
    with pytest.raises(Conflict, match="cannot end"):
        subject.end(date(2025, 6, 1), None)


def test_price_amendments_never_rewrite_earlier_days() -> None:
    subject = intervention()
    subject.amend_price(date(2025, 4, 1), 12_000)
    subject.amend_price(date(2025, 9, 1), 13_000)
    assert subject.price_on(START) == 10_000
    assert subject.price_on(date(2025, 3, 31)) == 10_000
    assert subject.price_on(date(2025, 4, 1)) == 12_000
    assert subject.price_on(date(2025, 8, 31)) == 12_000
    assert subject.price_on(END) == 13_000
    assert subject.version == 3
    with pytest.raises(Invalid):
        subject.price_on(date(2026, 1, 1))


@pytest.mark.parametrize("effective_from", [START, date(2025, 3, 31)])
def test_a_price_amendment_must_come_after_the_latest_one(effective_from: date) -> None:
    subject = intervention()
    subject.amend_price(date(2025, 3, 31), 12_000)
    with pytest.raises(Conflict) as refused:
        subject.amend_price(effective_from, 9_000)
    assert refused.value.field == "effective_from"
    assert [p.unit_price_pence for p in subject.prices] == [10_000, 12_000]


def test_a_price_amendment_cannot_start_after_the_intervention_ends() -> None:
    with pytest.raises(Invalid, match="after the intervention ends"):
        intervention().amend_price(END + timedelta(days=1), 9_000)


def test_an_ended_intervention_keeps_its_prices() -> None:
    with pytest.raises(Conflict, match="ended"):
        intervention(status="ended").amend_price(date(2025, 6, 1), 9_000)


@pytest.mark.parametrize("status", ["draft", "suspended", "ended"])
def test_only_an_active_intervention_takes_enrolments(status: str) -> None:
    subject = intervention(status=status)
    with pytest.raises(Conflict, match=f"this one is {status}"):
        subject.enrol("child-1", date(2025, 2, 1))
    assert subject.enrolments == []


@pytest.mark.parametrize("start", [date(2024, 12, 31), END + timedelta(days=1)])
def test_an_enrolment_starts_within_the_intervention_dates(start: date) -> None:
    with pytest.raises(Invalid) as refused:
        intervention().enrol("child-1", start)
    assert refused.value.field == "start_date"


def test_enrolments_get_ids_that_lead_back_to_their_intervention() -> None:
    subject = intervention()
    first = subject.enrol("child-1", date(2025, 2, 1))
    second = subject.enrol("child-2", date(2025, 2, 1))
    assert (first.enrolment_id, second.enrolment_id) == ("int-1:e1", "int-1:e2")
    assert intervention_of(second.enrolment_id) == "int-1"
    assert subject.version == 1  # enrolling leaves the officers' ETag alone


def test_a_child_is_not_enrolled_twice_on_overlapping_dates() -> None:
    subject = intervention()
    first = subject.enrol("child-1", date(2025, 2, 1))
    with pytest.raises(Conflict) as refused:
        subject.enrol("child-1", date(2025, 6, 1))
    assert refused.value.field == "child_ref"
    subject.end_enrolment(first, date(2025, 5, 31), "moved away")
    assert subject.enrol("child-1", date(2025, 6, 1)).start_date == date(2025, 6, 1)


def test_a_later_enrolment_of_the_same_child_blocks_an_earlier_open_one() -> None:
    subject = intervention()
    subject.enrol("child-1", date(2025, 6, 1))
    with pytest.raises(Conflict):
        subject.enrol("child-1", date(2025, 2, 1))


def test_capacity_counts_children_at_once_on_any_day_of_the_new_span() -> None:
    subject = intervention(capacity=1)
    early = subject.enrol("child-1", date(2025, 2, 1))
    subject.end_enrolment(early, date(2025, 2, 28), "finished")
    subject.enrol("child-2", date(2025, 3, 1))  # the place is free again from March
    with pytest.raises(Conflict, match="at capacity: 1 of 1"):
        subject.enrol("child-3", date(2025, 1, 15))  # overlaps child-2 from March


def test_a_future_enrolment_takes_its_place_from_its_start() -> None:
    subject = intervention(capacity=1)
    subject.enrol("child-1", date(2025, 6, 1))
    with pytest.raises(Conflict, match="capacity"):
        subject.enrol("child-2", date(2025, 2, 1))  # open, so it would still run in June


def test_ending_an_enrolment_checks_its_dates_and_happens_once() -> None:
    subject = intervention()
    enrolment = subject.enrol("child-1", date(2025, 2, 1))
    with pytest.raises(Invalid, match="before the enrolment's start"):
        subject.end_enrolment(enrolment, date(2025, 1, 31), "oops")
    with pytest.raises(Invalid, match="after the intervention ends"):
        subject.end_enrolment(enrolment, END + timedelta(days=1), "oops")
    subject.end_enrolment(enrolment, date(2025, 3, 1), "done")
    assert (enrolment.status, enrolment.end_reason, enrolment.version) == ("ended", "done", 2)
    with pytest.raises(Conflict, match="already ended"):
        subject.end_enrolment(enrolment, date(2025, 3, 2), "again")


def test_ending_an_intervention_ends_its_open_enrolments_on_the_same_day() -> None:
    subject = intervention()
    closed = subject.enrol("child-1", date(2025, 2, 1))
    subject.end_enrolment(closed, date(2025, 3, 1), "done")
    open_ = subject.enrol("child-2", date(2025, 2, 1))
    ended = subject.end(date(2025, 6, 30), "contract terminated")
    assert ended == [open_]
    assert (open_.end_date, open_.end_reason, open_.status) == (
        date(2025, 6, 30),
        "contract terminated",
        "ended",
    )
    assert (subject.status, subject.end_date, subject.version) == ("ended", date(2025, 6, 30), 2)


def test_an_intervention_cannot_end_before_an_enrolment_it_holds() -> None:
    subject = intervention()
    subject.enrol("child-1", date(2025, 7, 1))
    with pytest.raises(Conflict, match="runs after"):
        subject.end(date(2025, 6, 30), None)
    with pytest.raises(Invalid, match="within the intervention's dates"):
        subject.end(END + timedelta(days=1), None)
    assert subject.status == "active"


@given(
    capacity=st.integers(min_value=1, max_value=4),
    attempts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=9),  # child
            st.integers(min_value=0, max_value=364),  # start offset
            st.one_of(st.none(), st.integers(min_value=0, max_value=120)),  # length, None = open
        ),
        max_size=25,
    ),
)
def test_no_sequence_of_enrolments_ever_exceeds_capacity_or_doubles_a_child(
    capacity: int, attempts: list[tuple[int, int, int | None]]
) -> None:
    subject = intervention(capacity=capacity)
    for child, offset, length in attempts:
        start = START + timedelta(days=offset)
        try:
            enrolment = subject.enrol(f"child-{child}", start)
        except (Conflict, Invalid):
            continue
        if length is not None:
            subject.end_enrolment(enrolment, min(END, start + timedelta(days=length)), "done")
    day = START
    while day <= END:
        on_day = [e.child_ref for e in subject.enrolments if e.covers(day, END)]
        assert len(on_day) <= capacity
        assert len(set(on_day)) == len(on_day)
        day += timedelta(days=1)
