"""The indicator store: one document per indicator code, its earlier versions in `history`.

A new version is decided by inserting `indicator_revisions` `<code>@<version>` with its event
(FerretDB's conditional updates are not isolated, a unique `_id` is), then copied onto the
indicator's document; a reader finding a newer revision than the document rolls it forward, so a
crash between the two writes heals on the next read.

Indicators are few (a framework is meant to stay short), so listing them scans a small collection.
Seeding the default framework is idempotent: each default indicator is inserted under its code
as `_id` together with its `indicator_added` event, and an existing code is left alone (so a
council's retirement or new version of a default indicator survives every restart). Seeding runs
lazily, once per process, on the first read of the framework; nothing connects at app creation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.outcomes.domain.indicators import AgeBand, Indicator
from shared.events.envelope import Envelope
from shared.outbox import Outbox

COLLECTION = "indicators"
REVISIONS = "indicator_revisions"
EVENT_FIELDS = (
    "code",
    "name",
    "description",
    "outcome_area",
    "unit",
    "min_value",
    "max_value",
    "direction",
    "improvement_threshold",
    "age_band",
    "introduced_on",
    "status",
    "version",
)


class IndicatorExists(Exception):
    pass


def to_document(indicator: Indicator) -> dict[str, Any]:
    document = asdict(indicator)
    document["introduced_on"] = indicator.introduced_on.isoformat()
    document["sources"] = list(indicator.sources)
    return document


def from_document(document: dict[str, Any]) -> Indicator:
    band = document.get("age_band")
    return Indicator(
        code=document["code"],
        name=document["name"],
        description=document["description"],
        outcome_area=document["outcome_area"],
        unit=document["unit"],
        min_value=document["min_value"],
        max_value=document["max_value"],
        direction=document["direction"],
        improvement_threshold=document["improvement_threshold"],
        introduced_on=date.fromisoformat(document["introduced_on"]),
        age_band=AgeBand(**band) if band else None,
        status=document["status"],
        version=document["version"],
        sources=tuple(document.get("sources", ())),
    )


def event_payload(indicator: Indicator) -> dict[str, Any]:
    document = to_document(indicator)
    return {"indicator": {name: document[name] for name in EVENT_FIELDS}}


class MongoIndicators:
    def __init__(
        self,
        db: Database[dict[str, Any]],
        outbox: Outbox,
        *,
        defaults: tuple[Indicator, ...] = (),
        added_event: Callable[[Indicator], Envelope],
    ) -> None:
        self.collection = db[COLLECTION]
        self.revisions = db[REVISIONS]
        self.outbox = outbox
        self._defaults = defaults
        self._added_event = added_event
        self._seeded = False
        self._lock = threading.Lock()

    def ensure_seeded(self) -> None:
        if self._seeded:
            return
        with self._lock:
            if self._seeded:
                return
            for indicator in self._defaults:
                # seeded before, or a council's own version: leave it as it is
                with contextlib.suppress(DuplicateKeyError):
                    self.outbox.insert(
                        COLLECTION, self._new_document(indicator), [self._added_event(indicator)]
                    )
            self._seeded = True

    def get(self, code: str) -> Indicator | None:
        self.ensure_seeded()
        document = self.collection.find_one({"_id": code})
        return from_document(self._roll_forward(document)) if document else None

    def _roll_forward(self, document: dict[str, Any]) -> dict[str, Any]:
        while revision := self.revisions.find_one(
            {"_id": f"{document['_id']}@{document['version'] + 1}"}, {"_outbox": 0}
        ):
            self._apply(from_document(document), from_document(revision))
            document = self.collection.find_one({"_id": document["_id"]}) or document
        return document

    def _apply(self, current: Indicator, updated: Indicator) -> None:
        self.collection.update_one(
            {"_id": current.code},
            {"$set": to_document(updated), "$push": {"history": to_document(current)}},
        )

    def history(self, code: str) -> list[Indicator]:
        """Every earlier version of `code`, oldest first."""
        self.ensure_seeded()
        document = self.collection.find_one({"_id": code}, {"history": 1})
        return [from_document(old) for old in (document or {}).get("history", [])]

    def list(self) -> list[Indicator]:
        self.ensure_seeded()
        return sorted(
            (from_document(document) for document in self.collection.find()),
            key=lambda indicator: indicator.code,
        )

    def add(self, indicator: Indicator) -> None:
        self.ensure_seeded()
        try:
            self.outbox.insert(
                COLLECTION, self._new_document(indicator), [self._added_event(indicator)]
            )
        except DuplicateKeyError:
            raise IndicatorExists(indicator.code) from None

    def replace(self, current: Indicator, updated: Indicator, event: Envelope) -> bool:
        """Store `updated` if `current` is still the stored version; False if it is not."""
        try:
            self.outbox.insert(
                REVISIONS,
                {"_id": f"{current.code}@{updated.version}", **to_document(updated)},
                [event],
            )
        except DuplicateKeyError:
            return False
        self._apply(current, updated)
        return True

    @staticmethod
    def _new_document(indicator: Indicator) -> dict[str, Any]:
        return {"_id": indicator.code, **to_document(indicator), "history": []}
