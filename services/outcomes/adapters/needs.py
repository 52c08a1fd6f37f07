"""The needs assessment store: insert-only, `_id = assessment_id`, each with its event."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.outcomes.domain.needs import NeedsAssessment
from shared.events.envelope import Envelope
from shared.outbox import Outbox, strip_outbox

COLLECTION = "needs_assessments"


class MongoNeedsAssessments:
    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.collection = db[COLLECTION]
        self.outbox = outbox

    def add(self, assessment: NeedsAssessment, event: Envelope) -> bool:
        """Store a new assessment; False if its id is taken (by the first attempt of a redone
        request: only then do ids of new records repeat, see shared/ids.py)."""
        document = asdict(assessment) | {"assessed_on": assessment.assessed_on.isoformat()}
        try:
            self.outbox.insert(COLLECTION, {"_id": assessment.assessment_id, **document}, [event])
        except DuplicateKeyError:
            return False
        return True

    def get(self, assessment_id: str) -> NeedsAssessment | None:
        document = strip_outbox(self.collection.find_one({"_id": assessment_id}))
        if document is None:
            return None
        fields = {k: v for k, v in document.items() if k != "_id"}
        fields["assessed_on"] = date.fromisoformat(fields["assessed_on"])
        return NeedsAssessment(**fields)
