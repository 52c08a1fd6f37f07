"""Which observations are current: corrections supersede, withdrawals remove, in any order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.value.domain.model import Observation


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    observation: Observation
    supersedes: str | None = None


def current_observations(
    records: Iterable[ObservationRecord], withdrawn: Iterable[str]
) -> list[Observation]:
    """Every observation that no correction supersedes and no withdrawal names. Each record is
    judged on its own, so the answer does not depend on the order the events arrived in."""
    records = list(records)
    gone = set(withdrawn) | {r.supersedes for r in records if r.supersedes}
    return sorted(r.observation for r in records if r.observation.observation_id not in gone)
