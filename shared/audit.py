"""The audit trail: who did what, to what, when, under which correlation id.

Every write through an API leaves one record; auditors read them. Records name the caller's
subject and roles and the pseudonymous subject of the change, never a child's personal details.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from shared.auth import Caller
from shared.logs import current_correlation_id

COLLECTION = "audit_log"


class AuditLog:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.collection = db[COLLECTION]

    def record(
        self,
        caller: Caller,
        action: str,
        subject: str,
        *,
        outcome: str = "done",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.collection.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "actor": caller.subject,
                "roles": sorted(caller.roles),
                "provider_id": caller.provider_id,
                "action": action,
                "subject": subject,
                "outcome": outcome,
                "correlation_id": current_correlation_id(),
                "at": datetime.now(UTC),
                "detail": detail or {},
            }
        )

    def count(self) -> int:
        return self.collection.count_documents({})

    def list(self, *, limit: int = 100, skip: int = 0) -> list[dict[str, Any]]:
        cursor = self.collection.find().sort("at", -1).skip(skip).limit(limit)
        return [{k: v for k, v in doc.items() if k != "_id"} | {"id": doc["_id"]} for doc in cursor]
