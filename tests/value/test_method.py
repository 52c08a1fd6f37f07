"""The reference method's steps, one behaviour per test."""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.value.domain.attribution import shares_of
from services.value.domain.cost_per_outcome import NO_INTERVENTION, cost_per_outcome
from services.value.domain.model import Facts, Period
from services.value.domain.presentation import figures_row
from services.value.domain.queries import exact_sum, source_of, window
from tests.value.builders import (
    FY2024,
    d,
    enrolment,
    indicator,
    intervention,
    line,
    need,
    observation,
    worked_example,
)

JAN = Period(d("2025-01-01"), d("2025-01-31"))


def facts(**kwargs: object) -> Facts:
    base: dict[str, object] = {
        "interventions": {"K": intervention("K")},
        "enrolments": [],
        "indicators": {"attendance": indicator()},
        "observations": [],
        "lines": [],
    }
    base.update(kwargs)
    return Facts(**base)  # type: ignore[arg-type]


def run(
    f: Facts, period: Period = FY2024, rule: str = "cost_share", group_by: str = "intervention"
):
    return cost_per_outcome(f, period, rule=rule, group_by=group_by, window_days=180)


class Spend:
    """Step 1 alone: the spend of (intervention, child) pairs in a window."""

    def __init__(self, f: Facts) -> None:
        self.source = source_of(f)

    def spend(self, intervention_id: str, child_ref: str, period: Period) -> Fraction:
        return exact_sum(
            self.source.rows(
                "SELECT numerator, denominator FROM spend_in($basis, $first_day, $last_day)"
                " WHERE intervention_id = $k AND child_ref = $c",
                basis=self.source.basis,
                k=intervention_id,
                c=child_ref,
                **window(period),
            )
        )


def spend_of(f: Facts) -> Spend:
    return Spend(f)


# --- spend and proration ---------------------------------------------------------------------


def test_child_tagged_cost_is_prorated_by_days_of_overlap() -> None:
    f = facts(lines=[line("K", "C1", "2025-01-01", "2025-01-31", 31_000)])
    assert spend_of(f).spend("K", "C1", Period(d("2025-01-01"), d("2025-01-10"))) == 10_000
    assert run(f, Period(d("2025-01-21"), d("2025-02-28"))).rows["K"].spend == 11_000


def test_block_cost_is_shared_by_enrolled_days_and_spread_over_each_childs_days() -> None:
    f = facts(
        enrolments=[
            enrolment("K", "C1", "2025-01-01", "2025-01-20"),
            enrolment("K", "C2", "2025-01-11", "2025-01-20"),
        ],
        lines=[line("K", None, "2025-01-01", "2025-01-31", 30_000)],
    )
    spend = spend_of(f)
    assert spend.spend("K", "C1", JAN) == 20_000
    assert spend.spend("K", "C2", JAN) == 10_000
    first_ten = Period(d("2025-01-01"), d("2025-01-10"))
    assert spend.spend("K", "C1", first_ten) == 10_000
    assert spend.spend("K", "C2", first_ten) == 0
    assert run(f, first_ten).rows["K"].spend == 10_000  # a block cost follows the children's days


def test_block_cost_with_nobody_enrolled_is_unallocated_and_still_counted() -> None:
    f = facts(
        enrolments=[enrolment("K", "C1", "2025-01-01", "2025-01-31")],
        lines=[
            line("K", None, "2025-01-01", "2025-01-31", 31_000, "tx-jan"),
            line("K", None, "2025-02-01", "2025-02-28", 28_000, "tx-feb"),
        ],
    )
    report = run(f, group_by="provider")
    row = report.rows["prov-1"]
    assert row.spend == 59_000 and row.unallocated == 28_000
    assert report.total.spend == 59_000 and report.total.unallocated == 28_000


def test_cost_on_no_intervention_is_unallocated_in_its_own_row() -> None:
    f = facts(lines=[line(None, None, "2025-01-01", "2025-01-31", 5_000)])
    report = run(f)
    assert report.rows[NO_INTERVENTION].unallocated == 5_000
    assert report.total.spend == 5_000


def test_reversal_cancels_the_transaction_it_reverses() -> None:
    original = line("K", "C1", "2025-01-01", "2025-01-31", 31_000, "tx-1")
    reversal = line("K", "C1", "2025-01-01", "2025-01-31", -31_000, "tx-2")
    reissued = line("K", "C1", "2025-01-01", "2025-01-31", 15_500, "tx-3")
    assert run(facts(lines=[original, reversal])).total.spend == 0
    assert run(facts(lines=[original, reversal, reissued])).total.spend == 15_500


def test_price_amendment_takes_effect_from_its_date_and_never_rewrites_spend() -> None:
    from dataclasses import replace

    from services.value.domain.model import PricePeriod

    base = intervention("K", price=10_000)
    amended = replace(base, prices=(*base.prices, PricePeriod(d("2025-02-01"), 12_000)))
    assert amended.unit_price_on(d("2025-01-31")) == 10_000
    assert amended.unit_price_on(d("2025-02-01")) == 12_000
    assert amended.unit_price_on(d("2023-12-31")) is None
    lines = [line("K", "C1", "2025-01-01", "2025-01-31", 31_000)]
    before = run(facts(interventions={"K": base}, lines=lines)).total.spend
    after = run(facts(interventions={"K": amended}, lines=lines)).total.spend
    assert before == after == 31_000  # spend is what the ledger says, not price x days


# --- change ----------------------------------------------------------------------------------


def enrolled_with(*obs, ind=None, start="2025-01-06", end="2025-03-30") -> Facts:
    return facts(
        indicators={"attendance": ind or indicator()},
        enrolments=[enrolment("K", "C1", start, end)],
        observations=list(obs),
        lines=[line("K", "C1", start, end, 120_000)],
    )


def test_baseline_is_the_latest_observation_before_enrolment_within_the_window() -> None:
    f = enrolled_with(
        observation("C1", "2024-12-01", 60),
        observation("C1", "2025-01-03", 80),
        observation("C1", "2025-03-28", 86),
    )
    [outcome] = run(f).outcomes
    # the baseline is the 80 of 2025-01-03, not the 60 before it
    assert outcome.change.window == Period(d("2025-01-03"), d("2025-03-28"))
    assert outcome.change.delta == 6


def test_observation_older_than_the_window_is_not_a_baseline() -> None:
    f = enrolled_with(
        observation("C1", "2024-06-01", 10),  # 219 days before the start: outside 180
        observation("C1", "2025-02-01", 70),
        observation("C1", "2025-03-28", 80),
    )
    [outcome] = run(f).outcomes
    assert outcome.change.window.start == d("2025-02-01") and outcome.change.delta == 10


def test_observations_before_any_enrolment_count_towards_nobody_until_enrolled() -> None:
    f = facts(
        enrolments=[enrolment("K", "C1", "2025-03-01", "2025-03-30")],
        observations=[observation("C1", "2024-12-01", 50), observation("C1", "2025-01-15", 70)],
    )
    assert run(f).outcomes == []  # the baseline is 2025-01-15 and nothing came later


def test_missing_baseline_or_later_observation_leaves_the_child_unmeasured() -> None:
    assert run(enrolled_with()).outcomes == []
    only_one = run(enrolled_with(observation("C1", "2025-02-01", 70)))
    assert only_one.outcomes == [] and only_one.rows["K"].measured == set()
    assert len(only_one.rows["K"].children) == 1


def test_latest_observation_is_the_one_on_or_before_the_end_of_the_period() -> None:
    f = enrolled_with(
        observation("C1", "2025-01-03", 80),
        observation("C1", "2025-03-28", 92),
        observation("C1", "2025-04-10", 50),  # after fy2024 ends
    )
    [outcome] = run(f).outcomes
    assert outcome.change.delta == 12


def test_lower_is_better_indicator() -> None:
    absences = indicator("attendance", direction="lower_is_better", threshold=2, unit="count")
    better = enrolled_with(
        observation("C1", "2025-01-03", 9), observation("C1", "2025-03-28", 6), ind=absences
    )
    worse = enrolled_with(
        observation("C1", "2025-01-03", 6), observation("C1", "2025-03-28", 9), ind=absences
    )
    assert run(better).rows["K"].better_off == 1 and run(better).rows["K"].worse_off == 0
    assert run(worse).rows["K"].worse_off == 1 and run(worse).rows["K"].better_off == 0


def test_change_smaller_than_the_threshold_is_neither_better_nor_worse() -> None:
    f = enrolled_with(observation("C1", "2025-01-03", 80), observation("C1", "2025-03-28", 84))
    row = run(f).rows["K"]
    assert (row.better_off, row.worse_off, len(row.measured)) == (0, 0, 1)


def test_yes_no_indicator() -> None:
    in_school = indicator("attendance", unit="yes_no", threshold=1)
    yes = enrolled_with(
        observation("C1", "2025-01-03", 0), observation("C1", "2025-03-28", 1), ind=in_school
    )
    no = enrolled_with(
        observation("C1", "2025-01-03", 1), observation("C1", "2025-03-28", 0), ind=in_school
    )
    assert run(yes).total.better_off == 1 and run(no).total.worse_off == 1


# --- attribution -----------------------------------------------------------------------------


def two_interventions(rule: str):
    f = facts(
        interventions={"A": intervention("A"), "B": intervention("B")},
        enrolments=[
            enrolment("A", "C1", "2025-01-06", "2025-03-30"),
            enrolment("B", "C1", "2025-02-03", "2025-03-30"),  # 56 of A's 84 days
        ],
        observations=[observation("C1", "2025-01-03", 80), observation("C1", "2025-03-30", 92)],
        lines=[
            line("A", "C1", "2025-01-06", "2025-03-30", 84_000, "tx-a"),
            line("B", "C1", "2025-02-03", "2025-03-30", 168_000, "tx-b"),
        ],
    )
    report = run(f, rule=rule)
    return report.rows["A"].better_off, report.rows["B"].better_off


def test_cost_share_weights_by_spend_in_the_window() -> None:
    assert two_interventions("cost_share") == (Fraction(1, 3), Fraction(2, 3))


def test_time_share_weights_by_enrolled_days_in_the_window() -> None:
    assert two_interventions("time_share") == (Fraction(84, 140), Fraction(56, 140))


def test_equal_share_splits_evenly() -> None:
    assert two_interventions("equal_share") == (Fraction(1, 2), Fraction(1, 2))


def test_only_interventions_enrolled_in_the_window_and_targeting_the_indicator_share() -> None:
    f = facts(
        interventions={
            "A": intervention("A"),
            "EARLIER": intervention("EARLIER"),
            "OTHER": intervention("OTHER", targets=("wellbeing",)),
        },
        enrolments=[
            enrolment("A", "C1", "2025-01-06", "2025-03-30"),
            enrolment("EARLIER", "C1", "2024-05-01", "2024-06-30"),
            enrolment("OTHER", "C1", "2025-01-06", "2025-03-30"),
        ],
        observations=[observation("C1", "2025-01-03", 80), observation("C1", "2025-03-28", 92)],
        lines=[line("OTHER", "C1", "2025-01-06", "2025-03-30", 500_000)],
    )
    [outcome] = run(f).outcomes
    assert outcome.shares == {"A": 1}  # A had no spend: cost share falls back to time share


def test_an_enrolment_ending_the_day_before_the_baseline_does_not_share_the_change() -> None:
    f = facts(
        interventions={"A": intervention("A"), "EARLIER": intervention("EARLIER")},
        enrolments=[
            enrolment("A", "C1", "2025-01-06", "2025-03-30"),
            enrolment("EARLIER", "C1", "2024-12-01", "2025-01-02"),  # the window opens 01-03
        ],
        observations=[observation("C1", "2025-01-03", 80), observation("C1", "2025-03-28", 92)],
    )
    [outcome] = run(f, rule="equal_share").outcomes
    assert outcome.change.window == Period(d("2025-01-03"), d("2025-03-28"))
    assert outcome.shares == {"A": 1}


def test_cost_share_falls_back_to_time_then_equal_share() -> None:
    # four changes of two claims each: spent on; spent nothing (time share); nothing spent and
    # no days (equal share); a reversal leaving one claimant's spend negative (time share)
    cases = [
        ({"A": 5, "B": 5}, {"A": Fraction(1, 3), "B": Fraction(2, 3)}),
        ({"A": 1, "B": 3}, {}),
        ({"A": 0, "B": 0}, {"A": Fraction(0), "B": Fraction(0)}),
        ({"A": 2, "B": 6}, {"A": Fraction(-1), "B": Fraction(4)}),
    ]
    assert [shares_of("cost_share", days, spend) for days, spend in cases] == [
        {"A": Fraction(1, 3), "B": Fraction(2, 3)},
        {"A": Fraction(1, 4), "B": Fraction(3, 4)},
        {"A": Fraction(1, 2), "B": Fraction(1, 2)},
        {"A": Fraction(1, 4), "B": Fraction(3, 4)},
    ]
    days, spend = cases[0]
    assert shares_of("time_share", days, spend) == {"A": Fraction(1, 2), "B": Fraction(1, 2)}
    assert shares_of("equal_share", *cases[2]) == {"A": Fraction(1, 2), "B": Fraction(1, 2)}
    with pytest.raises(ValueError, match="unknown attribution rule"):
        shares_of("vibes", *cases[0])


# --- grouping --------------------------------------------------------------------------------


def test_groupings_by_provider_category_indicator_area_and_need_level() -> None:
    f = worked_example()
    f.interventions["B"] = intervention("B", provider_id="prov-2", category="therapeutic")
    f.needs.extend([need("C1", "2024-12-01", "low"), need("C1", "2025-02-01", "high")])
    assert run(f, group_by="provider").rows["prov-2"].better_off == Fraction(3, 4)
    assert run(f, group_by="category").rows["therapeutic"].spend == 360_000
    assert run(f, group_by="indicator").rows["attendance"].better_off == 1
    assert run(f, group_by="outcome_area").rows["enjoy_and_achieve"].spend == 480_000
    by_need = run(f, group_by="need_level").rows
    assert set(by_need) == {"high"} and by_need["high"].better_off == 1
    assert set(run(f, group_by="cohort").rows) == {"2024-Q4"}  # first enrolled January 2025
    with pytest.raises(ValueError, match="unknown grouping"):
        run(f, group_by="star_sign")


def test_by_indicator_an_outcome_counts_for_its_own_indicator_not_every_target() -> None:
    f = worked_example()
    targets = ("attendance", "wellbeing")
    f.interventions["A"] = intervention("A", targets=targets)
    f.indicators["wellbeing"] = indicator("wellbeing", area="be_healthy")
    by_indicator = run(f, group_by="indicator").rows
    assert by_indicator["attendance"].better_off == 1
    assert by_indicator["wellbeing"].better_off == 0 and not by_indicator["wellbeing"].measured
    assert by_indicator["wellbeing"].spend == 120_000  # A's spend counts for each of its targets
    assert run(f, group_by="outcome_area").rows["be_healthy"].better_off == 0


def test_entry_cohort_is_the_financial_quarter_of_the_first_enrolment() -> None:
    f = facts(
        enrolments=[
            enrolment("K", "C1", "2024-04-01", "2024-05-01"),
            enrolment("K", "C1", "2025-01-06", None),
            enrolment("K", "C2", "2024-03-31", "2024-04-30"),
            enrolment("K", "C3", "2024-12-31", "2025-01-31"),
        ],
        lines=[
            line("K", None, "2024-04-01", "2024-04-30", 30_000),
            line("K", "C9", "2024-04-01", "2024-04-30", 1_000),  # billed, never enrolled
        ],
    )
    rows = run(f, group_by="cohort").rows
    assert set(rows) == {"2024-Q1", "2023-Q4", "2024-Q3", "(never enrolled)"}
    assert rows["(never enrolled)"].spend == 1_000
    assert rows["2024-Q1"].spend == rows["2023-Q4"].spend == 15_000  # both enrolled all April


# --- method 1.1 ------------------------------------------------------------------------------


def test_only_interventions_enrolled_during_the_period_share_a_change() -> None:
    """K ran inside the change's window but in the year before; only L was enrolled in FY2024."""
    f = facts(
        interventions={"K": intervention("K"), "L": intervention("L")},
        enrolments=[
            enrolment("K", "C1", "2024-01-01", "2024-03-31"),
            enrolment("L", "C1", "2024-04-01", "2024-06-30"),
        ],
        observations=[observation("C1", "2023-12-20", 80), observation("C1", "2024-06-20", 92)],
        lines=[line("K", "C1", "2024-01-01", "2024-03-31", 13_000)],
    )
    report = run(f)
    assert report.rows["L"].better_off == 1
    assert "K" not in report.rows or report.rows["K"].better_off == 0
    [outcome] = report.outcomes
    assert outcome.shares == {"L": 1}


def test_better_off_without_spend_on_the_basis_says_so_instead_of_a_cost() -> None:
    f = facts(
        enrolments=[enrolment("K", "C1", "2025-01-06", "2025-03-30")],
        observations=[observation("C1", "2025-01-03", 80), observation("C1", "2025-03-28", 92)],
    )
    row = figures_row(run(f).rows["K"], threshold=0)
    assert (row["better_off"], row["spend_pence"]) == ("1.000", 0)
    assert row["cost_per_better_off"] == "no spend recorded on this basis"
    assert row["cost_per_better_off_pence"] is None and row["better_off_per_1000"] is None
