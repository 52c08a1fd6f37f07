"""Turning the curve and narrowing the gap."""

from __future__ import annotations

from fractions import Fraction

from services.value.domain.curve import least_squares, narrow_the_gap, turn_the_curve
from services.value.domain.model import Facts, Period
from tests.value.builders import d, enrolment, indicator, intervention, line, need, observation

HALF_YEAR = Period(d("2024-04-01"), d("2024-09-30"))


def test_least_squares_is_exact() -> None:
    assert least_squares([(0, Fraction(1)), (1, Fraction(3)), (2, Fraction(5))]) == (1, 2)
    assert least_squares([(0, Fraction(1))]) is None


def curve_facts() -> Facts:
    # two children rise 1 point a month until July, then 5 a month once K begins in July
    values = {"04": 50, "05": 51, "06": 52, "07": 57, "08": 62, "09": 67}
    return Facts(
        interventions={"K": intervention("K")},
        enrolments=[
            enrolment("K", "C1", "2024-07-01", "2024-09-30"),
            enrolment("K", "C2", "2024-07-01", "2024-09-30"),
        ],
        indicators={"attendance": indicator()},
        observations=[
            observation(child, f"2024-{month}-15", value + offset)
            for month, value in values.items()
            for child, offset in (("C1", -1), ("C2", 1))
        ],
        lines=[line("K", None, "2024-07-01", "2024-09-30", 92_000)],
        needs=[need("C1", "2024-04-01", "high"), need("C2", "2024-04-01", "low")],
    )


def test_turn_the_curve_forecasts_from_before_and_measures_the_gap_after() -> None:
    curve = turn_the_curve(
        curve_facts(), HALF_YEAR, indicator_code="attendance", since=d("2024-07-01")
    )
    by_month = {p.month: p for p in curve.points}
    assert by_month["2024-05"].actual == 51 and by_month["2024-05"].forecast is None
    assert [by_month[m].forecast for m in ("2024-07", "2024-08", "2024-09")] == [53, 54, 55]
    assert [by_month[m].gap for m in ("2024-07", "2024-08", "2024-09")] == [4, 8, 12]
    assert by_month["2024-07"].spend == 31_000 and by_month["2024-06"].spend == 0
    assert sum(p.spend for p in curve.points) == 92_000
    assert curve.markers == [("K", d("2024-07-01"))]


def test_turn_the_curve_for_one_cohort() -> None:
    curve = turn_the_curve(
        curve_facts(), HALF_YEAR, indicator_code="attendance", since=d("2024-07-01"), cohort="high"
    )
    assert [p.actual for p in curve.points][:2] == [49, 50]
    assert all(p.children == 1 for p in curve.points)


def test_narrow_the_gap_side_by_side_and_closing() -> None:
    facts = curve_facts()
    facts.observations[:] = [
        observation("C1", f"2024-0{m}-15", 40 + 3 * i) for i, m in enumerate(range(4, 10))
    ] + [observation("C2", f"2024-0{m}-15", 70) for m in range(4, 10)]
    points, closing = narrow_the_gap(
        facts, HALF_YEAR, indicator_code="attendance", first="high", second="low"
    )
    assert [p.gap for p in points] == [-30, -27, -24, -21, -18, -15]
    assert closing is True
    _, widening = narrow_the_gap(
        facts, HALF_YEAR, indicator_code="attendance", first="low", second="low"
    )
    assert widening is False  # no gap at all is not closing


def test_a_months_value_is_each_childs_latest_in_it_whatever_order_the_facts_list() -> None:
    facts = curve_facts()
    # C1 measured again later in May, listed first: the later value (61) is May's, not 50
    facts.observations.insert(0, observation("C1", "2024-05-28", 61))
    curve = turn_the_curve(facts, HALF_YEAR, indicator_code="attendance", since=d("2024-07-01"))
    may = next(p for p in curve.points if p.month == "2024-05")
    assert may.children == 2 and may.actual == Fraction(61 + 52, 2)
