"""Outcome observations: one reading of one indicator for one child on one date.

Observations are never edited. A correction is a new observation that supersedes the original; a
withdrawal marks the original withdrawn. Either leaves the original in history, and only whoever
posted an observation may correct or withdraw it, once (a superseded or withdrawn observation is no
longer current): the provider that posted it, or the council for one it sourced itself.

Every observation records its source: `provider` (posted by the provider named in `provider_id`),
or `council` (posted by the council from one of its own systems, named in `source_system`, such as
the SSDA903 return or the school census; `provider_id` is then None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.outcomes.domain.indicators import Indicator, value_problem

PROVIDER_SOURCE = "provider"
COUNCIL_SOURCE = "council"
CURRENT = "current"
SUPERSEDED = "superseded"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Observation:
    observation_id: str
    child_ref: str
    indicator_code: str
    indicator_version: int
    value: float
    observed_on: date
    provider_id: str | None
    recorded_at: datetime
    intervention_id: str | None = None
    evidence_ref: str | None = None
    supersedes: str | None = None
    status: str = CURRENT
    superseded_by: str | None = None
    withdrawal_reason: str | None = None
    source: str = PROVIDER_SOURCE
    source_system: str | None = None


class ObservationStateError(ValueError):
    """The observation is no longer current, so it cannot be corrected or withdrawn."""


def reading_problems(
    indicator: Indicator | None,
    *,
    value: float,
    observed_on: date,
    today: date,
    correcting: bool = False,
) -> dict[str, str]:
    """Field -> reason for every way a reading is invalid; empty when it may be recorded.

    A correction may concern a retired indicator (history stays right); a new reading may not.
    """
    problems: dict[str, str] = {}
    if observed_on > today:
        problems["observed_on"] = "must not be in the future"
    if indicator is None:
        problems["indicator_code"] = "is not an indicator of the framework"
        return problems
    if not indicator.is_active and not correcting:
        problems["indicator_code"] = "is retired and takes no new observations"
    if observed_on < indicator.introduced_on:
        problems["observed_on"] = (
            f"must not be before the indicator was introduced ({indicator.introduced_on})"
        )
    reason = value_problem(indicator, value)
    if reason:
        problems["value"] = reason
    return problems


def ensure_current(observation: Observation) -> None:
    if observation.status != CURRENT:
        raise ObservationStateError(
            f"observation {observation.observation_id} is {observation.status}; "
            "only a current observation can be corrected or withdrawn"
        )
