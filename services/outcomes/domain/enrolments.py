"""Which children a provider may post for and read: authorisation by enrolment.

The service learns enrolments from the commissioning service's events, never by calling it. Each
event carries the whole enrolment snapshot with its version; the projection keeps, per enrolment,
the snapshot with the highest version, so events may arrive twice or out of order.

The rule: a provider *holds* a child on a date when one of its enrolments for that child started
on or before the date and ended no earlier than `grace_days` before it (an enrolment with no end
date is open). So a provider may post readings dated up to `grace_days` after the child left
(an exit assessment), and may post late for any date it held the child, but nothing dated after
the grace period. Symmetrically, a provider may post readings dated up to `baseline_days` before
an enrolment starts: the intake baseline that the value method measures change from (a child's
attendance the week before a placement begins). A provider may read a child's observations (its
own ones) if it ever held the child.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class EnrolmentPeriod:
    enrolment_id: str
    intervention_id: str
    start_date: date
    end_date: date | None
    version: int


def holds_child_on(
    periods: Iterable[EnrolmentPeriod],
    on: date,
    *,
    grace_days: int,
    baseline_days: int = 0,
    intervention_id: str | None = None,
) -> bool:
    """True if one of `periods` (on `intervention_id`, when given) covers `on`, widened by the
    baseline window before its start and the grace period after its end."""
    grace = timedelta(days=grace_days)
    lead = timedelta(days=baseline_days)
    return any(
        period.start_date - lead <= on
        and (period.end_date is None or on <= period.end_date + grace)
        and (intervention_id is None or period.intervention_id == intervention_id)
        for period in periods
    )
