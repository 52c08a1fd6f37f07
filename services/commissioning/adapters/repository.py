"""Where providers and interventions live, written together with their events (the outbox).

Why revisions. FerretDB 1.24 on SQLite applies an update as read-modify-write of the whole
document without isolation between connections: two `update_one({"_id": x, "version": 3}, ...)`
racing can *both* match, and concurrent updates of different fields can lose one another (we
measured both). The one write it makes atomic is an insert under a unique `_id`. So every change
of an aggregate is an *insert* of its next revision, `_id = "<aggregate id>@<revision>"`, into
`<collection>_revisions`, carrying the change's events (the outbox). Two writers that read the
same revision both try to insert the next one; exactly one succeeds, the other gets
DuplicateKeyError, reads again and re-checks its rule (capacity, overlaps, If-Match). Revision
documents are never updated except by the relay removing published events, so nothing can
overwrite state.

Finding the latest revision without an index: `<collection>` holds one *head* per aggregate,
rewritten after each insert. A head is only a starting point: it may lag (a writer crashed, or
two head writes landed out of order), so readers look for newer revisions by `_id`
(`@<n+1>`, `@<n+2>`...) until there is none, one indexed lookup each. Lists read the heads (a
scan: hundreds of interventions, not millions) and look one revision further for each.
"""

from __future__ import annotations

import abc
import copy
import logging
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.commissioning.domain.model import Intervention, Provider
from services.commissioning.domain.snapshots import (
    Snapshot,
    intervention_from,
    provider_from,
    provider_snapshot,
    stored_intervention,
)
from shared.events.envelope import Envelope
from shared.logs import log_fields
from shared.outbox import Outbox, strip_outbox

PROVIDERS = "providers"
INTERVENTIONS = "interventions"

logger = logging.getLogger(__name__)


class Revisions:
    """Append-only revisions of one kind of aggregate, with a head per aggregate."""

    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox, collection: str) -> None:
        self.heads = db[collection]
        self.log_name = f"{collection}_revisions"
        self.log = db[self.log_name]
        self.outbox = outbox

    def latest(self, aggregate_id: str) -> Snapshot | None:
        return self._forward(aggregate_id, self.heads.find_one({"_id": aggregate_id}))

    def all(self) -> list[Snapshot]:
        found = (self._forward(head["_id"], head) for head in self.heads.find())
        return [state for state in found if state is not None]

    def append(
        self, aggregate_id: str, revision: int, state: Snapshot, events: list[Envelope]
    ) -> bool:
        """Store `revision` of the aggregate; False if another writer stored it first."""
        document = {"_id": f"{aggregate_id}@{revision}", **state, "revision": revision}
        try:
            self.outbox.insert(self.log_name, document, events)
        except DuplicateKeyError:
            return False
        try:
            self.heads.replace_one(
                {"_id": aggregate_id}, {**state, "revision": revision}, upsert=True
            )
        except PyMongoError:
            # the revision is stored; readers find it from an older head by `_id`
            logger.warning(
                "head not rewritten; readers look past it",
                extra=log_fields(collection=self.heads.name, revision=revision),
                exc_info=True,
            )
        return True

    def _forward(self, aggregate_id: str, head: Snapshot | None) -> Snapshot | None:
        current, revision = head, head["revision"] if head else 0
        while newer := self.log.find_one({"_id": f"{aggregate_id}@{revision + 1}"}):
            current, revision = newer, revision + 1
        return strip_outbox(current)


class AbstractProviderRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, provider_id: str) -> Provider | None: ...

    @abc.abstractmethod
    def add(self, provider: Provider, events: list[Envelope]) -> None: ...

    @abc.abstractmethod
    def save(self, provider: Provider, events: list[Envelope]) -> bool:
        """Store the provider as changed from `version - 1`; False if that is no longer
        the latest version (someone else changed it first)."""

    @abc.abstractmethod
    def list(self) -> list[Provider]: ...


class AbstractInterventionRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, intervention_id: str) -> Intervention | None: ...

    @abc.abstractmethod
    def add(self, intervention: Intervention, events: list[Envelope]) -> None: ...

    @abc.abstractmethod
    def save(self, intervention: Intervention, events: list[Envelope]) -> bool:
        """Store the intervention as changed from the `revision` it was read at; False if
        someone else stored a change first."""

    @abc.abstractmethod
    def list(self) -> list[Intervention]: ...


class MongoProviderRepository(AbstractProviderRepository):
    """A provider's revision is its version: every change to a provider is one an officer makes."""

    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.revisions = Revisions(db, outbox, PROVIDERS)

    def get(self, provider_id: str) -> Provider | None:
        state = self.revisions.latest(provider_id)
        return None if state is None else provider_from(state)

    def add(self, provider: Provider, events: list[Envelope]) -> None:
        if not self.save(provider, events):
            raise DuplicateKeyError(f"provider {provider.provider_id} exists")

    def save(self, provider: Provider, events: list[Envelope]) -> bool:
        return self.revisions.append(
            provider.provider_id, provider.version, provider_snapshot(provider), events
        )

    def list(self) -> list[Provider]:
        return [provider_from(state) for state in self.revisions.all()]


class MongoInterventionRepository(AbstractInterventionRepository):
    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.revisions = Revisions(db, outbox, INTERVENTIONS)

    def get(self, intervention_id: str) -> Intervention | None:
        state = self.revisions.latest(intervention_id)
        return None if state is None else intervention_from(state)

    def add(self, intervention: Intervention, events: list[Envelope]) -> None:
        state = stored_intervention(intervention)
        if not self.revisions.append(intervention.intervention_id, 1, state, events):
            raise DuplicateKeyError(f"intervention {intervention.intervention_id} exists")

    def save(self, intervention: Intervention, events: list[Envelope]) -> bool:
        return self.revisions.append(
            intervention.intervention_id,
            intervention.revision + 1,
            stored_intervention(intervention),
            events,
        )

    def list(self) -> list[Intervention]:
        return [intervention_from(state) for state in self.revisions.all()]


class FakeProviderRepository(AbstractProviderRepository):
    def __init__(self) -> None:
        self.providers: dict[str, Provider] = {}
        self.events: list[Envelope] = []

    def get(self, provider_id: str) -> Provider | None:
        return copy.deepcopy(self.providers.get(provider_id))

    def add(self, provider: Provider, events: list[Envelope]) -> None:
        if provider.provider_id in self.providers:
            raise DuplicateKeyError(provider.provider_id)
        self.providers[provider.provider_id] = copy.deepcopy(provider)
        self.events.extend(events)

    def save(self, provider: Provider, events: list[Envelope]) -> bool:
        if self.providers[provider.provider_id].version != provider.version - 1:
            return False
        self.providers[provider.provider_id] = copy.deepcopy(provider)
        self.events.extend(events)
        return True

    def list(self) -> list[Provider]:
        return copy.deepcopy(list(self.providers.values()))


class FakeInterventionRepository(AbstractInterventionRepository):
    def __init__(self) -> None:
        self.interventions: dict[str, Intervention] = {}
        self.events: list[Envelope] = []

    def get(self, intervention_id: str) -> Intervention | None:
        return copy.deepcopy(self.interventions.get(intervention_id))

    def add(self, intervention: Intervention, events: list[Envelope]) -> None:
        if intervention.intervention_id in self.interventions:
            raise DuplicateKeyError(intervention.intervention_id)
        self.interventions[intervention.intervention_id] = copy.deepcopy(intervention)
        self.events.extend(events)

    def save(self, intervention: Intervention, events: list[Envelope]) -> bool:
        if self.interventions[intervention.intervention_id].revision != intervention.revision:
            return False
        stored = copy.deepcopy(intervention)
        stored.revision += 1
        self.interventions[intervention.intervention_id] = stored
        self.events.extend(events)
        return True

    def list(self) -> list[Intervention]:
        return copy.deepcopy(list(self.interventions.values()))
