"""Stories behind the curves: insert-only, `_id = <indicator>:<cohort>/<written_at>/<id>`, so a
curve's versions are one indexed prefix read, oldest first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pymongo.database import Database

from services.outcomes.domain.stories import CurveStory

COLLECTION = "curve_stories"


def _curve_prefix(indicator_code: str, cohort: str) -> str:
    return f"{indicator_code}:{cohort}/"


class MongoCurveStories:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.collection = db[COLLECTION]

    def add(self, story: CurveStory) -> None:
        prefix = _curve_prefix(story.indicator_code, story.cohort)
        key = f"{prefix}{story.written_at}/{story.story_id}"
        self.collection.insert_one({"_id": key, **asdict(story)})

    def for_curve(self, indicator_code: str, cohort: str) -> list[CurveStory]:
        # a plain string pattern: FerretDB takes a prefix regex on _id as an index range
        found = self.collection.find(
            {"_id": {"$regex": f"^{_curve_prefix(indicator_code, cohort)}"}}
        ).sort("_id", 1)
        return [CurveStory(**{k: v for k, v in doc.items() if k != "_id"}) for doc in found]
