"""Which observations are current: corrections supersede, withdrawals remove, in any order."""

from __future__ import annotations

from collections.abc import Iterable

from services.value.domain.model import Observation


def current_observations(
    observations: Iterable[Observation], *, superseded: Iterable[str], withdrawn: Iterable[str]
) -> list[Observation]:
    """Every observation that no correction supersedes and no withdrawal names, sorted. What is
    gone is a set of ids, so the answer does not depend on the order the events arrived in."""
    gone = set(superseded) | set(withdrawn)
    return sorted(o for o in observations if o.observation_id not in gone)
