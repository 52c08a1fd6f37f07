"""Use cases of observations: record (one or a batch), correct, withdraw, read.

Two kinds of author. A provider posts for the children it holds (an enrolment covering the date,
widened by the baseline and grace windows). The council (the commissioner role) posts readings
from its own systems (the SSDA903 return, the school census, health records) for any child, at
any date, naming the system in `source_system`: baselines often come from there, and are older
than a provider's baseline window allows.

A batch is all-or-nothing per row: each row is checked on its own (fields, indicator, value,
dates, the provider's enrolment) and every valid row is recorded, in one bulk write; the answer
lists every row's result so a provider can resend only the failed ones. A refused row (no
enrolment) is audited, and its reason is the same whether the child is unknown or someone else's.
The checks make no database call per row: the provider's holdings of every child the batch names
are read in one query, indicators once per code, and a child's refused rows share one audit record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from services.outcomes.domain.enrolments import EnrolmentPeriod, holds_child_on
from services.outcomes.domain.indicators import Indicator
from services.outcomes.domain.observations import (
    COUNCIL_SOURCE,
    PROVIDER_SOURCE,
    Observation,
    ObservationStateError,
    ensure_current,
    reading_problems,
)
from services.outcomes.service_layer import events
from services.outcomes.service_layer.commands import (
    CorrectObservation,
    ObservationDraft,
    RecordObservations,
    WithdrawObservation,
)
from services.outcomes.service_layer.context import Outcomes
from services.outcomes.service_layer.errors import NOT_HELD, Conflict, Forbidden, Invalid, NotFound
from shared.auth import COMMISSIONER, Caller
from shared.events.envelope import Envelope
from shared.ids import new_id

RECORDED = "recorded"
INVALID = "invalid"
FORBIDDEN = "forbidden"
DUPLICATE = "duplicate"  # the same row as an earlier one of the batch: recorded once, by that one


@dataclass(frozen=True)
class RowResult:
    index: int
    status: str
    observation_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class _Indicators:
    """A per-request cache: a batch names few indicators."""

    ctx: Outcomes
    found: dict[str, Indicator | None] = field(default_factory=dict)

    def get(self, code: str) -> Indicator | None:
        if code not in self.found:
            self.found[code] = self.ctx.indicators.get(code)
        return self.found[code]


def check_batch_size(count: int, *, ctx: Outcomes) -> None:
    """Refuse a batch over the limit whole (callers check before parsing its rows)."""
    if count > ctx.batch_limit:
        raise Invalid({"observations": f"at most {ctx.batch_limit} observations per request"})


def record_observations(command: RecordObservations, *, ctx: Outcomes) -> list[RowResult]:
    check_batch_size(len(command.rows), ctx=ctx)
    provider_id = _author_of(command.actor)
    indicators = _Indicators(ctx)
    holdings = (
        ctx.enrolments.periods_by_child(
            provider_id, {row.child_ref for row in command.rows if not isinstance(row, dict)}
        )
        if provider_id
        else {}
    )
    today = ctx.today()
    recorded_at = _now()
    results: list[RowResult] = []
    refused: dict[str, list[int]] = defaultdict(list)  # child_ref -> its rows refused
    to_record: list[tuple[Observation, Envelope]] = []
    first_of: dict[ObservationDraft, int] = {}  # a row -> the index it first came at
    for index, row in enumerate(command.rows):
        if isinstance(row, dict):
            results.append(RowResult(index, INVALID, errors=row))
            continue
        if row in first_of:
            results.append(_repeat(results[first_of[row]], index))
            continue
        first_of[row] = index
        indicator = indicators.get(row.indicator_code)
        problems = reading_problems(
            indicator, value=row.value, observed_on=row.observed_on, today=today
        ) | _source_problems(row, provider_id)
        if problems:
            results.append(RowResult(index, INVALID, errors=problems))
            continue
        assert indicator is not None  # reading_problems refuses unknown indicators
        if provider_id and not _holds(holdings[row.child_ref], row, ctx):
            refused[row.child_ref].append(index)
            results.append(RowResult(index, FORBIDDEN, errors={"child_ref": NOT_HELD}))
            continue
        observation = _new_observation(row, indicator, provider_id, recorded_at)
        to_record.append((observation, events.observation_recorded(observation)))
        results.append(RowResult(index, RECORDED, observation_id=observation.observation_id))
    for child_ref, rows in refused.items():
        ctx.audit.record(
            command.actor,
            "observation.record",
            child_ref,
            outcome="refused",
            detail={"reason": "no enrolment on the observed date", "rows": rows},
        )
    if to_record:
        ctx.observations.add_many(to_record)
    ctx.audit.record(
        command.actor,
        "observation.record",
        f"{len(to_record)} observations",
        detail={"recorded": len(to_record), "rows": len(command.rows)},
    )
    return results


def correct_observation(command: CorrectObservation, *, ctx: Outcomes) -> Observation:
    original = _own_observation(command.actor, command.observation_id, ctx)
    observed_on = command.observed_on or original.observed_on
    indicator = ctx.indicators.get(original.indicator_code)
    problems = reading_problems(
        indicator, value=command.value, observed_on=observed_on, today=ctx.today(), correcting=True
    )
    if problems:
        raise Invalid(problems)
    assert indicator is not None
    draft = ObservationDraft(
        child_ref=original.child_ref,
        indicator_code=original.indicator_code,
        value=command.value,
        observed_on=observed_on,
        intervention_id=original.intervention_id,
        evidence_ref=command.evidence_ref or original.evidence_ref,
        source_system=original.source_system,
    )
    periods = (
        ctx.enrolments.periods(original.provider_id, original.child_ref)
        if original.provider_id
        else []
    )
    if original.provider_id and not _holds(periods, draft, ctx):
        ctx.audit.record(
            command.actor, "observation.correct", original.child_ref, outcome="refused"
        )
        raise Forbidden(NOT_HELD)
    correction = replace(
        _new_observation(draft, indicator, original.provider_id, _now()),
        supersedes=original.observation_id,
    )
    _guard_state(original)
    if not ctx.observations.supersede(
        original, correction, events.observation_corrected(correction)
    ):
        raise Conflict(f"observation {original.observation_id} was changed meanwhile")
    ctx.audit.record(
        command.actor,
        "observation.correct",
        original.child_ref,
        detail={"supersedes": original.observation_id, "by": correction.observation_id},
    )
    return correction


def withdraw_observation(command: WithdrawObservation, *, ctx: Outcomes) -> Observation:
    original = _own_observation(command.actor, command.observation_id, ctx)
    _guard_state(original)
    withdrawn_at = _now()
    event = events.observation_withdrawn(original, reason=command.reason, withdrawn_at=withdrawn_at)
    if not ctx.observations.withdraw(original, command.reason, event):
        raise Conflict(f"observation {original.observation_id} was changed meanwhile")
    ctx.audit.record(
        command.actor,
        "observation.withdraw",
        original.child_ref,
        detail={"observation_id": original.observation_id},
    )
    return replace(original, status="withdrawn", withdrawal_reason=command.reason)


def get_observation(actor: Caller, observation_id: str, *, ctx: Outcomes) -> Observation:
    observation = ctx.observations.get(observation_id)
    if observation is None or (
        actor.is_provider_only and observation.provider_id != actor.provider_id
    ):
        raise NotFound(f"no observation {observation_id}")  # the same for someone else's
    return observation


def child_observations(
    actor: Caller,
    child_ref: str,
    *,
    ctx: Outcomes,
    indicator_code: str | None = None,
    include_history: bool = False,
) -> list[Observation]:
    """A child's observations, oldest first; a provider sees its own, if it ever held the child."""
    if actor.is_provider_only:
        provider_id = _provider_of(actor)
        if not ctx.enrolments.periods(provider_id, child_ref):
            ctx.audit.record(actor, "observation.read", child_ref, outcome="refused")
            raise Forbidden(NOT_HELD)
    found = [
        observation
        for observation in ctx.observations.for_child(child_ref)
        if (not actor.is_provider_only or observation.provider_id == actor.provider_id)
        and (indicator_code is None or observation.indicator_code == indicator_code)
        and (include_history or observation.status == "current")
    ]
    return sorted(found, key=lambda o: (o.observed_on, o.recorded_at))


def _now() -> datetime:
    """Now, to the millisecond the database keeps, so stored and published times agree."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _holds(periods: list[EnrolmentPeriod], draft: ObservationDraft, ctx: Outcomes) -> bool:
    return holds_child_on(
        periods,
        draft.observed_on,
        grace_days=ctx.grace_days,
        baseline_days=ctx.baseline_days,
        intervention_id=draft.intervention_id,
    )


def _repeat(result: RowResult, index: int) -> RowResult:
    """An exact repeat of an earlier row (`result`): recorded once, by the first, or refused as
    the first was."""
    if result.status == RECORDED:
        return RowResult(index, DUPLICATE, observation_id=result.observation_id)
    return replace(result, index=index)


def _source_problems(draft: ObservationDraft, provider_id: str | None) -> dict[str, str]:
    """A council reading names the system it comes from; a provider's is the provider's own."""
    if provider_id and draft.source_system is not None:
        return {"source_system": "is for the council's own systems; a provider's own readings "
                "are sourced to the provider"}  # fmt: skip
    if not provider_id and draft.source_system is None:
        return {"source_system": "is required of the council: name the system the reading "
                "comes from, such as the SSDA903 return or the school census"}  # fmt: skip
    return {}


def _new_observation(
    draft: ObservationDraft, indicator: Indicator, provider_id: str | None, recorded_at: datetime
) -> Observation:
    return Observation(
        observation_id=new_id(),
        child_ref=draft.child_ref,
        indicator_code=indicator.code,
        indicator_version=indicator.version,
        value=float(draft.value),
        observed_on=draft.observed_on,
        provider_id=provider_id,
        recorded_at=recorded_at,
        intervention_id=draft.intervention_id,
        evidence_ref=draft.evidence_ref,
        source=PROVIDER_SOURCE if provider_id else COUNCIL_SOURCE,
        source_system=None if provider_id else draft.source_system,
    )


def _own_observation(actor: Caller, observation_id: str, ctx: Outcomes) -> Observation:
    """The observation, if `actor` posted it: its provider, or the council for its own readings."""
    observation = ctx.observations.get(observation_id)
    author = _author_of(actor)
    if (
        observation is None
        or observation.provider_id != author
        or (author is None and observation.source != COUNCIL_SOURCE)
    ):
        raise NotFound(f"no observation {observation_id} of yours")
    return observation


def _guard_state(observation: Observation) -> None:
    try:
        ensure_current(observation)
    except ObservationStateError as error:
        raise Conflict(str(error)) from error


def _provider_of(actor: Caller) -> str:
    if not actor.provider_id:
        raise Forbidden("only a provider reads children's observations this way")
    return actor.provider_id


def _author_of(actor: Caller) -> str | None:
    """The provider posting (from its token), or None for the council posting its own readings."""
    if actor.provider_id:
        return actor.provider_id
    if actor.has_any(COMMISSIONER):
        return None
    raise Forbidden("only a provider, or the council (commissioner), posts observations")
