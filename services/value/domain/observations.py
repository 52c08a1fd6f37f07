"""Which observations are current: corrections supersede, withdrawals remove, in any order."""

from __future__ import annotations

from collections.abc import Iterable

from services.value.domain.model import Observation


def current_observations(
    observations: Iterable[Observation], *, superseded: Iterable[str], withdrawn: Iterable[str]
) -> list[Observation]:
    """Every observation that no correction supersedes and no withdrawal names, in the order
    given (what reads them sorts what it needs: a child's series, a month's values; sorting all
    of them was seconds at a county's size). What is gone is a set of ids, so the answer does not
    depend on the order the events arrived in."""
    gone = set(superseded) | set(withdrawn)
    return [o for o in observations if o.observation_id not in gone]
