"""Each child's need level on a day: from the latest assessment on or before it."""

from __future__ import annotations

from datetime import date

from services.value.domain.model import NeedsAssessment


def need_levels_on(needs: list[NeedsAssessment], day: date) -> dict[str, str]:
    latest: dict[str, tuple[date, str, str]] = {}
    for n in needs:
        key = (n.assessed_on, n.assessment_id, n.need_level)
        if n.assessed_on <= day and key > latest.get(n.child_ref, (date.min, "", "")):
            latest[n.child_ref] = key
    return {child_ref: key[2] for child_ref, key in latest.items()}
