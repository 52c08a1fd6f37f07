"""A consumer with a countable, idempotent effect: "a consumer in another service" in tests."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from shared.events.envelope import Envelope
from shared.mongo import insert_once


class ProviderDirectory:
    """Records each provider event once (by event id) and counts how many effects happened."""

    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.db = db

    def handle(self, event: Envelope) -> None:
        if insert_once(self.db.applied, {"_id": event.id, "provider_id": event.subject}):
            self.db.counters.update_one({"_id": "effects"}, {"$inc": {"n": 1}}, upsert=True)

    def effects(self) -> int:
        counter = self.db.counters.find_one({"_id": "effects"})
        return counter["n"] if counter else 0
