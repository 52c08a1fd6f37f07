"""The story behind the curve: what a council's people write beside a turn-the-curve chart.

Results-Based Accountability asks, after the curve, for the story behind it: why the line goes
where it goes, and who could help turn it. A story belongs to one indicator's curve for one cohort
(all children, or a need level). Saving again writes a new version; none is edited or lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events.catalogue.outcomes import NEED_LEVELS

COHORTS = ("all", *NEED_LEVELS)
MAX_STORY_LENGTH = 4000


@dataclass(frozen=True)
class CurveStory:
    story_id: str
    indicator_code: str
    cohort: str
    text: str
    written_by: str  # the writer's token subject, as in the audit log
    written_at: str  # ISO 8601 UTC: versions sort by it
