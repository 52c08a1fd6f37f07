"""domain.md's worked example: the reference method must give exactly its figures."""

from __future__ import annotations

from fractions import Fraction

from services.value.domain.cost_per_outcome import cost_per_outcome
from services.value.domain.presentation import figures_row
from tests.value.builders import FY2024, worked_example


def test_worked_example_exact_figures() -> None:
    report = cost_per_outcome(
        worked_example(), FY2024, rule="cost_share", group_by="intervention", window_days=180
    )
    a, b, both = report.rows["A"], report.rows["B"], report.total
    assert (a.spend, a.better_off, a.spend / a.better_off) == (120_000, Fraction(1, 4), 480_000)
    assert (b.spend, b.better_off, b.spend / b.better_off) == (360_000, Fraction(3, 4), 480_000)
    assert (both.spend, both.better_off, both.spend / both.better_off) == (480_000, 1, 480_000)
    [outcome] = report.outcomes
    assert outcome.change.delta == 12 and outcome.change.better_off


def test_worked_example_as_printed() -> None:
    report = cost_per_outcome(
        worked_example(), FY2024, rule="cost_share", group_by="intervention", window_days=180
    )
    a = figures_row(report.rows["A"], threshold=0)
    b = figures_row(report.rows["B"], threshold=0)
    both = figures_row(report.total, threshold=0)
    assert (a["spend"], a["better_off"], a["cost_per_better_off"]) == (
        "£1,200.00",
        "0.250",
        "£4,800.00",
    )
    assert (b["spend"], b["better_off"], b["cost_per_better_off"]) == (
        "£3,600.00",
        "0.750",
        "£4,800.00",
    )
    assert (both["spend"], both["better_off"], both["cost_per_better_off"]) == (
        "£4,800.00",
        "1.000",
        "£4,800.00",
    )
    assert both["better_off_per_1000"] == "0.208"
    assert a["child_weeks"] == "12.00" and b["child_weeks"] == "12.00"
    # child-weeks are weeks on an intervention: two at once count twice in the total
    assert both["children_served"] == 1 and both["child_weeks"] == "24.00"
    assert both["unallocated_spend_pence"] == 0


def test_worked_example_suppressed_by_default_threshold() -> None:
    report = cost_per_outcome(
        worked_example(), FY2024, rule="cost_share", group_by="intervention", window_days=180
    )
    row = figures_row(report.total, threshold=5)
    assert row["children_served"] == "suppressed"
    assert row["better_off"] == "suppressed" and row["cost_per_better_off"] == "suppressed"
    assert row["spend"] == "£4,800.00"  # money is never suppressed
