"""Pure unit tests of the outcomes domain: no database, no broker."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.outcomes.domain.enrolments import EnrolmentPeriod, holds_child_on
from services.outcomes.domain.framework import DEFAULT_FRAMEWORK
from services.outcomes.domain.indicators import (
    Guardrail,
    Indicator,
    IndicatorRuleError,
    check_definition,
    new_version,
    retire,
    value_problem,
)
from services.outcomes.domain.needs import need_level, score_problems
from services.outcomes.domain.observations import (
    Observation,
    ObservationStateError,
    ensure_current,
    reading_problems,
)
from shared.events.catalogue.outcomes import (
    DIRECTIONS,
    FRAMEWORK_CODES,
    NEED_DOMAINS,
    OUTCOME_AREAS,
    UNITS,
)
from shared.fields import INDICATOR_CODE_PATTERN

FRAMEWORK = {indicator.code: indicator for indicator in DEFAULT_FRAMEWORK}
TODAY = date(2025, 6, 30)


def test_commissioning_knows_exactly_the_framework_s_codes() -> None:
    """Interventions may target these codes only (shared/events/catalogue/outcomes.py)."""
    assert set(FRAMEWORK) == set(FRAMEWORK_CODES)


def test_the_default_framework_is_short_valid_and_sourced() -> None:
    assert 10 <= len(DEFAULT_FRAMEWORK) <= 20
    assert len(FRAMEWORK) == len(DEFAULT_FRAMEWORK)
    for indicator in DEFAULT_FRAMEWORK:
        check_definition(indicator)
        assert indicator.sources, indicator.code
        assert indicator.outcome_area in OUTCOME_AREAS
        assert indicator.unit in UNITS
        assert indicator.direction in DIRECTIONS
        assert indicator.improvement_threshold > 0
        assert re.fullmatch(INDICATOR_CODE_PATTERN, indicator.code)
    assert {i.outcome_area for i in DEFAULT_FRAMEWORK} == set(OUTCOME_AREAS)


@pytest.mark.parametrize(
    ("code", "value", "valid"),
    [
        ("school_attendance", 0, True),
        ("school_attendance", 100, True),
        ("school_attendance", 100.01, False),
        ("school_attendance", -0.5, False),
        ("sdq_total_difficulties", 40, True),
        ("sdq_total_difficulties", 41, False),
        ("placement_moves_12m", 3, True),
        ("placement_moves_12m", 3.0, True),
        ("placement_moves_12m", 2.5, False),
        ("placement_moves_12m", -1, False),
        ("dental_check_up_to_date", 0, True),
        ("dental_check_up_to_date", 1, True),
        ("dental_check_up_to_date", 0.5, False),
        ("dental_check_up_to_date", 2, False),
    ],
)
def test_values_are_checked_against_unit_and_range(code: str, value: float, valid: bool) -> None:
    assert (value_problem(FRAMEWORK[code], value) is None) is valid


def test_reading_problems_name_every_failing_field() -> None:
    attendance = FRAMEWORK["school_attendance"]
    assert reading_problems(attendance, value=90, observed_on=TODAY, today=TODAY) == {}
    problems = reading_problems(attendance, value=120, observed_on=date(2025, 7, 1), today=TODAY)
    assert set(problems) == {"value", "observed_on"}
    early = reading_problems(attendance, value=90, observed_on=date(1999, 12, 31), today=TODAY)
    assert set(early) == {"observed_on"}
    unknown = reading_problems(None, value=1, observed_on=TODAY, today=TODAY)
    assert set(unknown) == {"indicator_code"}


def test_a_retired_indicator_takes_corrections_but_no_new_readings() -> None:
    retired = retire(FRAMEWORK["in_eet"])
    assert set(reading_problems(retired, value=1, observed_on=TODAY, today=TODAY)) == {
        "indicator_code"
    }
    assert reading_problems(retired, value=1, observed_on=TODAY, today=TODAY, correcting=True) == {}


def test_versioning_keeps_code_and_start_and_bumps_the_version() -> None:
    current = FRAMEWORK["school_attendance"]
    changes = replace(current, code="ignored", introduced_on=TODAY, improvement_threshold=2)
    updated = new_version(current, changes)
    assert (updated.code, updated.introduced_on) == (current.code, current.introduced_on)
    assert (updated.version, updated.improvement_threshold) == (2, 2)
    assert updated.sources == current.sources
    with pytest.raises(IndicatorRuleError) as error:
        new_version(current, replace(changes, min_value=200))
    assert error.value.field == "min_value"


def test_a_retired_indicator_cannot_be_versioned_or_retired_again() -> None:
    retired = retire(FRAMEWORK["school_attendance"])
    assert (retired.status, retired.version) == ("retired", 2)
    for change in (lambda: retire(retired), lambda: new_version(retired, retired)):
        with pytest.raises(IndicatorRuleError) as error:
            change()
        assert error.value.field == "status"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_value": 5, "max_value": 1}, "min_value"),
        ({"unit": "yes_no", "min_value": 0, "max_value": 2}, "min_value"),
        ({"unit": "count", "min_value": -1}, "min_value"),
        ({"unit": "count", "min_value": 0.5}, "min_value"),
        ({"improvement_threshold": 101}, "improvement_threshold"),
    ],
)
def test_definitions_that_cannot_work_are_refused(changes: dict[str, object], field: str) -> None:
    indicator: Indicator = replace(FRAMEWORK["school_attendance"], **changes)  # type: ignore[arg-type]
    with pytest.raises(IndicatorRuleError) as error:
        check_definition(indicator)
    assert error.value.field == field


def test_the_guardrail_warns_only_above_its_limit() -> None:
    assert Guardrail(active=20, limit=20).warning is None
    assert "21 indicators" in (Guardrail(active=21, limit=20).warning or "")


PERIOD = EnrolmentPeriod("e1", "int-1", date(2025, 1, 1), date(2025, 3, 31), 2)


@pytest.mark.parametrize(
    ("on", "grace", "intervention", "held"),
    [
        (date(2024, 12, 31), 30, None, False),
        (date(2025, 1, 1), 0, None, True),
        (date(2025, 3, 31), 0, None, True),
        (date(2025, 4, 1), 0, None, False),
        (date(2025, 4, 30), 30, None, True),
        (date(2025, 5, 1), 30, None, False),
        (date(2025, 2, 1), 30, "int-1", True),
        (date(2025, 2, 1), 30, "int-2", False),
    ],
)
def test_holding_a_child_follows_enrolment_dates_and_grace(
    on: date, grace: int, intervention: str | None, held: bool
) -> None:
    assert holds_child_on([PERIOD], on, grace_days=grace, intervention_id=intervention) is held


@pytest.mark.parametrize(
    ("on", "baseline_days", "held"),
    [(date(2024, 12, 2), 30, True), (date(2024, 12, 1), 30, False), (date(2024, 12, 31), 0, False)],
)
def test_a_baseline_may_be_posted_shortly_before_the_enrolment_starts(
    on: date, baseline_days: int, held: bool
) -> None:
    assert holds_child_on([PERIOD], on, grace_days=0, baseline_days=baseline_days) is held


def test_an_open_enrolment_holds_from_its_start_and_none_holds_nothing() -> None:
    open_period = replace(PERIOD, end_date=None)
    assert holds_child_on([open_period], date(2030, 1, 1), grace_days=0)
    assert not holds_child_on([], date(2025, 2, 1), grace_days=30)


def scores(**overrides: int) -> dict[str, int]:
    return {domain: 0 for domain in NEED_DOMAINS} | overrides


@pytest.mark.parametrize(
    ("given", "level"),
    [
        (scores(), "low"),
        (scores(behaviour=2, identity=2, communication=1), "low"),
        (scores(behaviour=2, identity=2, communication=2), "medium"),
        (scores(behaviour=3), "high"),
        (
            {d: 1 for d in NEED_DOMAINS} | {"behaviour": 2, "identity": 2, "risk_and_safety": 1},
            "medium",
        ),
        (
            {d: 1 for d in NEED_DOMAINS} | {"behaviour": 2, "identity": 2, "communication": 2},
            "high",
        ),
        (scores(behaviour=3, identity=3), "high"),
        (scores(behaviour=3, identity=3, communication=3), "complex"),
        ({d: 2 for d in NEED_DOMAINS}, "complex"),
        ({d: 2 for d in NEED_DOMAINS} | {"behaviour": 1}, "high"),
    ],
)
def test_the_need_level_rule(given: dict[str, int], level: str) -> None:
    assert need_level(given) == level


def test_score_problems_name_missing_unknown_and_bad_scores() -> None:
    assert score_problems(scores()) == {}
    given = {k: v for k, v in scores(behaviour=4).items() if k != "identity"} | {"luck": 1}
    problems = score_problems(given | {"communication": True})  # type: ignore[dict-item]
    assert set(problems) == {
        "scores.identity",
        "scores.behaviour",
        "scores.luck",
        "scores.communication",
    }


def test_only_a_current_observation_can_be_corrected_or_withdrawn() -> None:
    observation = Observation(
        "o1", "C-001", "in_eet", 1, 1.0, TODAY, "p1", datetime(2025, 6, 30, tzinfo=UTC)
    )
    ensure_current(observation)
    for status in ("superseded", "withdrawn"):
        with pytest.raises(ObservationStateError):
            ensure_current(replace(observation, status=status))
