"""Use cases: write the story behind an indicator's curve; read a curve's stories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.outcomes.domain.stories import CurveStory
from services.outcomes.service_layer.context import Outcomes
from services.outcomes.service_layer.errors import NotFound
from shared.auth import Caller


def _known(indicator_code: str, ctx: Outcomes) -> None:
    if ctx.indicators.get(indicator_code) is None:
        raise NotFound(f"no indicator {indicator_code}")


def write_story(
    actor: Caller, *, indicator_code: str, cohort: str, text: str, ctx: Outcomes
) -> CurveStory:
    _known(indicator_code, ctx)
    story = CurveStory(
        story_id=str(uuid.uuid4()),
        indicator_code=indicator_code,
        cohort=cohort,
        text=text,
        written_by=actor.subject,
        written_at=datetime.now(UTC).isoformat(timespec="microseconds"),
    )
    ctx.stories.add(story)
    ctx.audit.record(actor, "curve_story.write", indicator_code, detail={"cohort": cohort})
    return story


def curve_stories(indicator_code: str, cohort: str, *, ctx: Outcomes) -> list[CurveStory]:
    _known(indicator_code, ctx)
    return ctx.stories.for_curve(indicator_code, cohort)
