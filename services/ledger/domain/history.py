"""What the ledger knew of commissioning at a moment: every snapshot it received, kept as a
revision with the time it was recorded, so a report as at 5 May answers from what was known then.

Each commissioning event carries its aggregate's whole snapshot and version; the ledger keeps
every version once (`<kind>:<id>@<version>`), first recording wins. As at a moment, an
intervention or enrolment is its highest version recorded by then.

An intervention's suspensions come from its statuses in version order: suspended from the
`effective_date` of the event that suspended it, to the day before the one that resumed it (or,
still suspended, to the intervention's end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from services.ledger.domain.calendar import ONE_DAY, Span
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms


@dataclass(frozen=True)
class InterventionRevision:
    terms: InterventionTerms
    status: str
    effective_date: date
    recorded_at: datetime


@dataclass(frozen=True)
class EnrolmentRevision:
    terms: EnrolmentTerms
    recorded_at: datetime


@dataclass
class Commissioning:
    """Interventions, their enrolments, statuses and suspensions, as known at one moment."""

    interventions: dict[str, InterventionTerms] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    suspensions: dict[str, list[Span]] = field(default_factory=dict)
    enrolments: dict[str, list[EnrolmentTerms]] = field(default_factory=dict)

    def enrolments_of(self, intervention_id: str) -> list[EnrolmentTerms]:
        return self.enrolments.get(intervention_id, [])


def suspensions(revisions: Iterable[InterventionRevision]) -> list[Span]:
    """The spans an intervention was suspended, from its revisions (any order)."""
    spans: list[Span] = []
    since: date | None = None
    last: InterventionRevision | None = None
    for revision in sorted(revisions, key=lambda r: r.terms.version):
        suspended = revision.status == "suspended"
        if suspended and since is None:
            since = revision.effective_date
        elif not suspended and since is not None:
            until = (
                revision.terms.end_date
                if revision.status == "ended"
                else revision.effective_date - ONE_DAY
            )
            if until >= since:
                spans.append((since, until))
            since = None
        last = revision
    if since is not None and last is not None and last.terms.end_date >= since:
        spans.append((since, last.terms.end_date))
    return spans


def as_at(
    interventions: Iterable[InterventionRevision],
    enrolments: Iterable[EnrolmentRevision],
    moment: datetime,
) -> Commissioning:
    """Commissioning as known at `moment`: the revisions recorded by then."""
    known: dict[str, list[InterventionRevision]] = defaultdict(list)
    for revision in interventions:
        if revision.recorded_at <= moment:
            known[revision.terms.intervention_id].append(revision)
    state = Commissioning()
    for intervention_id, revisions in known.items():
        latest = max(revisions, key=lambda r: r.terms.version)
        state.interventions[intervention_id] = latest.terms
        state.statuses[intervention_id] = latest.status
        state.suspensions[intervention_id] = suspensions(revisions)
    latest_enrolments: dict[str, EnrolmentTerms] = {}
    for enrolment in enrolments:
        kept = latest_enrolments.get(enrolment.terms.enrolment_id)
        if enrolment.recorded_at <= moment and (
            kept is None or kept.version < enrolment.terms.version
        ):
            latest_enrolments[enrolment.terms.enrolment_id] = enrolment.terms
    for terms in sorted(latest_enrolments.values(), key=lambda e: e.enrolment_id):
        state.enrolments.setdefault(terms.intervention_id, []).append(terms)
    return state
