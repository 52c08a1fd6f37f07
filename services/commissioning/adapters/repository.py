"""Where providers and interventions live, written together with their events (the outbox).

Why revisions. FerretDB 1.24 on SQLite applies an update as read-modify-write of the whole
document without isolation between connections: two `update_one({"_id": x, "version": 3}, ...)`
racing can *both* match, and concurrent updates of different fields can lose one another (we
measured both). The one write it makes atomic is an insert under a unique `_id`. So every change
of an aggregate is an *insert* of its next revision, `_id = "<aggregate id>@<revision>"`, into
`<collection>_revisions`, carrying the change's events (the outbox). Two writers that read the
same revision both try to insert the next one; exactly one succeeds, the other gets
DuplicateKeyError, reads again and re-checks its rule (capacity, overlaps, If-Match). Revision
documents are never updated, so nothing can overwrite state.

Why an intervention's revision holds only what changed. An intervention contains its
enrolments; a revision holding the whole of it would make every enrolment write (and read) cost
as much as all the enrolments before it, and an intervention's history grow with the square of
its enrolments. So a revision holds the intervention's own fields and only the enrolments the
change touched (`enrolments_changed`); the state at a revision is what the revisions up to it
add up to (`_apply_intervention_revision`). A provider's revision holds the whole provider.

Finding the state without an index: `<collection>` holds one *head* per aggregate, the whole
state at some revision, rewritten at the first revision and every `HEAD_EVERY` revisions after.
A head is only a starting point: it is usually behind, and may be further behind (a writer
crashed, two head writes landed out of order), so readers fold in the revisions after it, read
by `_id` with one `$in` query for the next `FORWARD_BATCH` (an index search). Each process also
keeps the latest state it read or wrote of the aggregates it used last (`CACHE_SIZE`), so a write
costs one read of the (usually no) revisions after it and one small insert. A cached state can
be stale only by revisions inserted after it, which that read finds: revisions never change.
"""

from __future__ import annotations

import abc
import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.commissioning.domain.model import Intervention, Provider
from services.commissioning.domain.snapshots import (
    Snapshot,
    intervention_from,
    intervention_snapshot,
    provider_from,
    provider_snapshot,
    stored_intervention,
)
from shared.events.envelope import Envelope
from shared.logs import log_fields
from shared.mongo import find_by_ids
from shared.outbox import OUTBOX_FIELD, Outbox

PROVIDERS = "providers"
INTERVENTIONS = "interventions"
HEAD_EVERY = 16
FORWARD_BATCH = 2 * HEAD_EVERY
CACHE_SIZE = 256

logger = logging.getLogger(__name__)

# the state after a revision, from the state before it (None: the aggregate's first revision)
Fold = Callable[[Snapshot | None, Snapshot], Snapshot]


def _whole(_: Snapshot | None, document: Snapshot) -> Snapshot:
    return {key: value for key, value in document.items() if key != "_id"}


def _apply_intervention_revision(state: Snapshot | None, document: Snapshot) -> Snapshot:
    """Heads, first revisions and revisions written before revisions held only changes carry
    `enrolments`, the whole state; other revisions carry `enrolments_changed`."""
    if "enrolments" in document:
        return _whole(state, document)
    enrolments = {e["enrolment_id"]: e for e in state["enrolments"]} if state else {}
    for enrolment in document["enrolments_changed"]:
        enrolments[enrolment["enrolment_id"]] = enrolment  # a new one goes last, as enrolled
    fields = {k: v for k, v in document.items() if k not in ("_id", "enrolments_changed")}
    return {**fields, "enrolments": list(enrolments.values())}


class Revisions:
    """Append-only revisions of one kind of aggregate, with a head per aggregate."""

    def __init__(
        self, db: Database[dict[str, Any]], outbox: Outbox, collection: str, *, fold: Fold
    ) -> None:
        self.heads = db[collection]
        self.log_name = f"{collection}_revisions"
        self.log = db[self.log_name]
        self.outbox = outbox
        self.fold = fold
        self._cache: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def latest(self, aggregate_id: str) -> Snapshot | None:
        start = self.cached(aggregate_id) or self.heads.find_one({"_id": aggregate_id})
        return self._catch_up({aggregate_id: start})[aggregate_id]

    def all(self) -> list[Snapshot]:
        starts: dict[str, Snapshot | None] = {}
        for head in self.heads.find():
            cached = self.cached(head["_id"])
            newer = cached is not None and cached["revision"] > head["revision"]
            starts[head["_id"]] = cached if newer else head
        return [state for state in self._catch_up(starts).values() if state is not None]

    def cached(self, aggregate_id: str, revision: int | None = None) -> Snapshot | None:
        """The latest state this process knows of (only if at `revision`, when given)."""
        with self._lock:
            state = self._cache.get(aggregate_id)
            if state is not None:
                self._cache.move_to_end(aggregate_id)
        if state is None or revision not in (None, state["revision"]):
            return None
        return state

    def append(
        self,
        aggregate_id: str,
        revision: int,
        document: Snapshot,
        state: Snapshot,
        events: list[Envelope],
    ) -> bool:
        """Store `revision` of the aggregate as `document`, after which it is `state`; False if
        another writer stored that revision first."""
        try:
            self.outbox.insert(
                self.log_name,
                {"_id": f"{aggregate_id}@{revision}", **document, "revision": revision},
                events,
            )
        except DuplicateKeyError:
            return False
        state = {**state, "revision": revision}
        self._remember(aggregate_id, state)
        if revision == 1 or revision % HEAD_EVERY == 0:
            try:
                self.heads.replace_one({"_id": aggregate_id}, state, upsert=True)
            except PyMongoError:
                # the revision is stored; readers find it from an older head by `_id`
                logger.warning(
                    "head not rewritten; readers look past it",
                    extra=log_fields(collection=self.heads.name, revision=revision),
                    exc_info=True,
                )
        return True

    def _catch_up(self, starts: dict[str, Snapshot | None]) -> dict[str, Snapshot | None]:
        """Fold into each state the revisions stored after it."""
        states = {aggregate_id: _without_id(state) for aggregate_id, state in starts.items()}
        behind = {a: state["revision"] if state else 0 for a, state in states.items()}
        while behind:
            wanted = [
                f"{a}@{r + n}" for a, r in behind.items() for n in range(1, FORWARD_BATCH + 1)
            ]
            found = {
                document["_id"]: document
                for document in find_by_ids(self.log, wanted, {OUTBOX_FIELD: 0})
            }
            still_behind = {}
            for aggregate_id, revision in behind.items():
                while (newer := found.get(f"{aggregate_id}@{revision + 1}")) is not None:
                    states[aggregate_id] = self.fold(states[aggregate_id], newer)
                    revision += 1
                if revision - behind[aggregate_id] == FORWARD_BATCH:
                    still_behind[aggregate_id] = revision
            behind = still_behind
        for aggregate_id, state in states.items():
            if state is not None:
                self._remember(aggregate_id, state)
        return states

    def _remember(self, aggregate_id: str, state: Snapshot) -> None:
        with self._lock:
            known = self._cache.get(aggregate_id)
            if known is None or known["revision"] < state["revision"]:
                self._cache[aggregate_id] = state
            self._cache.move_to_end(aggregate_id)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)


def _without_id(state: Snapshot | None) -> Snapshot | None:
    return None if state is None else {k: v for k, v in state.items() if k != "_id"}


class AbstractProviderRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, provider_id: str) -> Provider | None: ...

    @abc.abstractmethod
    def add(self, provider: Provider, events: list[Envelope]) -> bool:
        """Store a new provider; False if its id is taken (by an earlier attempt of a redone
        request: ids of new records repeat only then, see shared/ids.py)."""

    @abc.abstractmethod
    def save(self, provider: Provider, events: list[Envelope]) -> bool:
        """Store the provider as changed from `version - 1`; False if that is no longer
        the latest version (someone else changed it first)."""

    @abc.abstractmethod
    def list(self) -> list[Provider]: ...


class AbstractInterventionRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, intervention_id: str) -> Intervention | None: ...

    def remembered(self, intervention_id: str) -> Intervention | None:
        """The latest state this process knows of, read only if it knows none: possibly
        behind, so only for a change whose `save` finds out (and refuses) if it is."""
        return self.get(intervention_id)

    @abc.abstractmethod
    def add(self, intervention: Intervention, events: list[Envelope]) -> bool:
        """Store a new intervention; False if its id is taken (as for providers)."""

    @abc.abstractmethod
    def save(self, intervention: Intervention, events: list[Envelope]) -> bool:
        """Store the intervention as changed from the `revision` it was read at; False if
        someone else stored a change first."""

    @abc.abstractmethod
    def list(self) -> list[Intervention]: ...


class MongoProviderRepository(AbstractProviderRepository):
    """A provider's revision is its version: every change to a provider is one an officer makes."""

    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.revisions = Revisions(db, outbox, PROVIDERS, fold=_whole)

    def get(self, provider_id: str) -> Provider | None:
        state = self.revisions.latest(provider_id)
        return None if state is None else provider_from(state)

    def add(self, provider: Provider, events: list[Envelope]) -> bool:
        return self.save(provider, events)

    def save(self, provider: Provider, events: list[Envelope]) -> bool:
        state = provider_snapshot(provider)
        return self.revisions.append(provider.provider_id, provider.version, state, state, events)

    def list(self) -> list[Provider]:
        return [provider_from(state) for state in self.revisions.all()]


class MongoInterventionRepository(AbstractInterventionRepository):
    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.revisions = Revisions(db, outbox, INTERVENTIONS, fold=_apply_intervention_revision)

    def get(self, intervention_id: str) -> Intervention | None:
        state = self.revisions.latest(intervention_id)
        return None if state is None else intervention_from(state)

    def remembered(self, intervention_id: str) -> Intervention | None:
        state = self.revisions.cached(intervention_id)
        return self.get(intervention_id) if state is None else intervention_from(state)

    def add(self, intervention: Intervention, events: list[Envelope]) -> bool:
        state = stored_intervention(intervention)
        return self.revisions.append(intervention.intervention_id, 1, state, state, events)

    def save(self, intervention: Intervention, events: list[Envelope]) -> bool:
        state = stored_intervention(intervention)
        before = self.revisions.cached(intervention.intervention_id, intervention.revision)
        kept = {e["enrolment_id"]: e for e in before["enrolments"]} if before else {}
        change = {
            **intervention_snapshot(intervention),
            # not knowing the state it was read at (forgotten since), store every enrolment
            "enrolments_changed": [
                e for e in state["enrolments"] if kept.get(e["enrolment_id"]) != e
            ],
        }
        return self.revisions.append(
            intervention.intervention_id, intervention.revision + 1, change, state, events
        )

    def list(self) -> list[Intervention]:
        return [intervention_from(state) for state in self.revisions.all()]


class FakeProviderRepository(AbstractProviderRepository):
    def __init__(self) -> None:
        self.providers: dict[str, Provider] = {}
        self.events: list[Envelope] = []

    def get(self, provider_id: str) -> Provider | None:
        return copy.deepcopy(self.providers.get(provider_id))

    def add(self, provider: Provider, events: list[Envelope]) -> bool:
        if provider.provider_id in self.providers:
            return False
        self.providers[provider.provider_id] = copy.deepcopy(provider)
        self.events.extend(events)
        return True

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

    def add(self, intervention: Intervention, events: list[Envelope]) -> bool:
        if intervention.intervention_id in self.interventions:
            return False
        self.interventions[intervention.intervention_id] = copy.deepcopy(intervention)
        self.events.extend(events)
        return True

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
