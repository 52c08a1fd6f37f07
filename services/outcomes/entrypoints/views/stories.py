"""The story behind an indicator's curve: `/indicators/<code>/stories`.

Written beside a turn-the-curve chart by finance or a commissioner (the people who read the value
reports), read by them, auditors and admins. Each save is a new version; the list is oldest first.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.outcomes.domain.stories import COHORTS, MAX_STORY_LENGTH
from services.outcomes.entrypoints.views import outcomes
from services.outcomes.service_layer import stories as handlers
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, FINANCE
from shared.http.blueprint import Blueprint
from shared.http.idempotency import idempotent
from shared.http.security import require_role

blp = Blueprint("stories", __name__, url_prefix="/indicators", description=__doc__)

WRITERS = (FINANCE, COMMISSIONER)
READERS = (FINANCE, COMMISSIONER, AUDITOR, ADMIN)


class StoryInSchema(Schema):
    cohort = fields.String(load_default="all", validate=validate.OneOf(COHORTS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_STORY_LENGTH))


class StorySchema(Schema):
    story_id = fields.String()
    indicator_code = fields.String()
    cohort = fields.String()
    text = fields.String()
    written_by = fields.String()
    written_at = fields.String()


class StoryQuery(Schema):
    cohort = fields.String(load_default="all", validate=validate.OneOf(COHORTS))


class StoryListSchema(Schema):
    items = fields.List(fields.Nested(StorySchema))


@blp.route("/<code>/stories")
class CurveStories(MethodView):
    @blp.arguments(StoryQuery, location="query")
    @blp.response(200, StoryListSchema)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """The stories behind this indicator's curve for a cohort, oldest first."""
        require_role(*READERS)
        found = handlers.curve_stories(code, args["cohort"], ctx=outcomes())
        return {"items": [asdict(story) for story in found]}

    @idempotent
    @blp.arguments(StoryInSchema)
    @blp.response(201, StorySchema)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Save the story behind this indicator's curve (a new version; finance, commissioner)."""
        actor = require_role(*WRITERS)
        story = handlers.write_story(actor, indicator_code=code, ctx=outcomes(), **data)
        return asdict(story)
