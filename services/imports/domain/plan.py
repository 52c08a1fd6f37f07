"""What to write: the return's providers, interventions, stays and readings against what Acorn
already holds (read back through its APIs), so a second import of one return writes nothing and
next year's return writes only what is new or changed.

Acorn never rewrites history, and an import goes through the same rules as a person: a stay that
Acorn holds as open and the return now ends is ended; a reading whose value the return corrects
is corrected (a new observation supersedes the old). A change the rules forbid (a different end
date for a stay already ended, or an ended stay the return reopens) is not forced: it is reported
for a person to settle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.imports.domain.episodes import Stay
from services.imports.domain.outcomes import Reading
from services.imports.domain.placements import title_of
from services.imports.domain.ssda903_codes import PROVIDERS


@dataclass(frozen=True)
class HeldEnrolment:
    enrolment_id: str
    last_day: date | None
    version: int


@dataclass(frozen=True)
class HeldReading:
    observation_id: str
    value: float


@dataclass
class Held:
    """What Acorn holds of what an import writes, found by the names the import gives."""

    providers: dict[str, str] = field(default_factory=dict)  # name -> provider_id
    interventions: dict[str, str] = field(default_factory=dict)  # title -> intervention_id
    # (intervention_id, child_ref, first day) -> the enrolment
    enrolments: dict[tuple[str, str, date], HeldEnrolment] = field(default_factory=dict)
    # (child_ref, indicator_code, observed_on) -> the current council reading
    readings: dict[tuple[str, str, date], HeldReading] = field(default_factory=dict)


@dataclass
class Plan:
    providers: list[str] = field(default_factory=list)  # PLACE_PROVIDER codes to register
    interventions: list[tuple[str, str]] = field(default_factory=list)  # (PLACE, PLACE_PROVIDER)
    enrol: list[Stay] = field(default_factory=list)
    end: list[tuple[HeldEnrolment, Stay]] = field(default_factory=list)
    conflicts: list[tuple[Stay, str]] = field(default_factory=list)
    unchanged_stays: int = 0
    record: list[Reading] = field(default_factory=list)
    correct: list[tuple[HeldReading, Reading]] = field(default_factory=list)
    unchanged_readings: int = 0

    @property
    def writes_nothing(self) -> bool:
        return not (
            self.providers
            or self.interventions
            or self.enrol
            or self.end
            or self.record
            or self.correct
        )


def plan(stays: Iterable[Stay], readings: Iterable[Reading], held: Held) -> Plan:
    stays = list(stays)
    result = Plan()
    providers = sorted({stay.provider for stay in stays})
    result.providers = [code for code in providers if PROVIDERS[code].name not in held.providers]
    interventions = {stay.intervention for stay in stays}
    result.interventions = sorted(
        key for key in interventions if title_of(*key) not in held.interventions
    )
    for stay in stays:
        _plan_stay(stay, held, result)
    for reading in readings:
        known = held.readings.get((reading.child_ref, reading.indicator_code, reading.observed_on))
        if known is None:
            result.record.append(reading)
        elif known.value != reading.value:
            result.correct.append((known, reading))
        else:
            result.unchanged_readings += 1
    return result


def _plan_stay(stay: Stay, held: Held, result: Plan) -> None:
    intervention = held.interventions.get(title_of(*stay.intervention), "")
    known = held.enrolments.get((intervention, stay.child_ref, stay.start))
    if known is None:
        result.enrol.append(stay)
    elif known.last_day == stay.last_day:
        result.unchanged_stays += 1
    elif known.last_day is None:
        result.end.append((known, stay))
    elif stay.last_day is None:
        result.conflicts.append(
            (stay, f"Acorn holds this stay as ended on {known.last_day}; the return has it open")
        )
    else:
        result.conflicts.append(
            (stay, f"Acorn holds this stay as ended on {known.last_day}; the return ends it on "
             f"{stay.last_day}: an ended enrolment is not changed by an import")
        )  # fmt: skip
