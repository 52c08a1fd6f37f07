"""Where the ledger keeps what finance reports need besides transactions, and the facts cache.

Stored, each as inserts only (a new fact under a unique `_id`, never an edit):

| collection | `_id` | what |
| --- | --- | --- |
| `intervention_revisions` | `<id>@<version>` | each intervention snapshot, status, when recorded |
| `enrolment_revisions` | `<id>@<version>` | each enrolment snapshot, when recorded |
| `month_actions` | `<YYYY-MM>:<n>` | month closes and reopens |
| `table_entries` | `<table>:<key>:<n>` | framework ceilings and cost centres |
| `saved_forecasts` | `<FY>:<saved at>:<random>` | saved forecasts, figures as packed JSON |
| `journal` | `<minute>:<collection>:<_id>` | what was written when (below) |

**The facts cache.** Reports need every transaction and revision; reading them from FerretDB
takes seconds at a council's size (it decodes every document, and counts scan too), so an API
process keeps them and reads only what is new. Every writer of facts, after its insert, notes the
documents in a `journal` under the minute (`<YYYYMMDDHHMM>:<collection>:<_id>`, so a minute's
entries are one range of the `_id` index) and sets a new random `generation`. A reader reads the
generation *before* anything else: unchanged, its facts stand; changed, it reads the journal's
minutes since its last read (two minutes more, for writes in flight then), fetches the documents
it does not have by `_id`, and re-reads the two small tables (month actions, table entries).
Whatever it read is at least as new as the generation it files it under, so a write that lands
meanwhile makes the next request look again. A writer that stopped between its insert and its
journal entry is caught by the cache's maximum age, after which everything is read again.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from services.ledger.adapters.records import (
    Record,
    enrolment_from_record,
    enrolment_record,
    intervention_from_record,
    intervention_record,
    transaction_from_record,
)
from services.ledger.adapters.repository import TransactionRepository
from services.ledger.domain import closing, history, reference
from services.ledger.domain.closing import MonthAction
from services.ledger.domain.history import EnrolmentRevision, InterventionRevision
from services.ledger.domain.model import RuleBroken, Transaction
from services.ledger.domain.reference import TableEntry
from shared.mongo import DUPLICATE_KEY, find_by_ids, packed_json, unpacked_json

INTERVENTION_REVISIONS = "intervention_revisions"
ENROLMENT_REVISIONS = "enrolment_revisions"
MONTH_ACTIONS = "month_actions"
TABLE_ENTRIES = "table_entries"
SAVED_FORECASTS = "saved_forecasts"
GENERATION = "generation"
JOURNAL = "journal"
TRANSACTIONS = "transactions"
logger = logging.getLogger(__name__)

FACTS_MAX_AGE_SECONDS = 900.0
JOURNAL_MARGIN = timedelta(minutes=2)
MAX_REMEMBERED = 64


class DuplicateRecord(Exception):
    """Another write took this `_id` first (a race lost): read again and decide again."""


@dataclass(frozen=True)
class AsAt:
    """Everything a report may use, as recorded by one moment."""

    moment: datetime
    generated_at: datetime
    transactions: list[Transaction]
    commissioning: history.Commissioning
    closed_months: set[str]
    table_entries: list[TableEntry]
    # what reports worked out from these facts, by what they asked: every view of all the facts
    # shares one (`Facts.as_at`), so a question asked again before anything changes is not
    # worked out again; a view of a past moment has its own
    derived: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str) -> dict[str, int | str]:
        return reference.table_as_at(self.table_entries, name)

    def remembered(self, question: Hashable, work_out: Callable[[], Any]) -> Any:
        if question not in self.derived:
            if len(self.derived) >= MAX_REMEMBERED:
                self.derived.clear()
            self.derived[question] = work_out()
        return self.derived[question]


@dataclass
class Facts:
    transactions: list[Transaction]
    interventions: list[InterventionRevision]
    enrolments: list[EnrolmentRevision]
    month_actions: list[MonthAction]
    table_entries: list[TableEntry]
    _everything: AsAt | None = field(default=None, repr=False)

    @property
    def last_recorded(self) -> datetime | None:
        """When the latest of these facts was recorded."""
        times = [
            *(t.posted_at for t in self.transactions),
            *(r.recorded_at for r in self.interventions),
            *(r.recorded_at for r in self.enrolments),
            *(a.at for a in self.month_actions),
            *(e.at for e in self.table_entries),
        ]
        return max(times, default=None)

    def as_at(self, moment: datetime, *, now: datetime) -> AsAt:
        """The facts recorded by `moment` (a moment to come is `now`). Every moment after the
        latest fact sees all of them: that view is worked out once and shared."""
        moment = min(moment, now)
        if self._everything is not None and moment >= self._everything.moment:
            return replace(self._everything, moment=moment, generated_at=now)
        view = AsAt(
            moment=moment,
            generated_at=now,
            transactions=[t for t in self.transactions if t.posted_at <= moment],
            commissioning=history.as_at(self.interventions, self.enrolments, moment),
            closed_months=closing.closed_months(self.month_actions, moment),
            table_entries=[e for e in self.table_entries if e.at <= moment],
        )
        last = self.last_recorded
        if last is not None and moment >= last:
            self._everything = replace(view, moment=last)
        return view


@dataclass(frozen=True)
class SavedForecast:
    forecast_id: str
    financial_year: str
    saved_by: str
    saved_at: datetime
    as_at: datetime
    parameters: dict[str, Any]
    interventions: list[dict[str, Any]]  # one outturn's figures and groups each


class FinanceRecords(abc.ABC):
    @abc.abstractmethod
    def add_revisions(
        self, interventions: Iterable[InterventionRevision], enrolments: Iterable[EnrolmentRevision]
    ) -> None:
        """Keep each revision unless that version is already kept (the first recording wins)."""

    @abc.abstractmethod
    def month_actions(self) -> list[MonthAction]: ...

    @abc.abstractmethod
    def add_month_action(self, action: MonthAction) -> None:
        """Raises `DuplicateRecord` if the action's id is taken."""

    @abc.abstractmethod
    def table_entries(self) -> list[TableEntry]: ...

    @abc.abstractmethod
    def add_table_entry(self, entry: TableEntry) -> None:
        """Raises `DuplicateRecord` if the entry's id is taken."""

    @abc.abstractmethod
    def add_saved_forecast(self, saved: SavedForecast) -> None: ...

    @abc.abstractmethod
    def saved_forecasts(self, financial_year: str) -> list[SavedForecast]:
        """The year's saved forecasts, oldest first."""

    @abc.abstractmethod
    def facts(self, transactions: TransactionRepository) -> Facts: ...


class FakeFinanceRecords(FinanceRecords):
    def __init__(self) -> None:
        self.interventions: dict[str, InterventionRevision] = {}
        self.enrolments: dict[str, EnrolmentRevision] = {}
        self.actions: dict[str, MonthAction] = {}
        self.entries: dict[str, TableEntry] = {}
        self.saved: list[SavedForecast] = []
        self._unique_id = threading.Lock()

    def add_revisions(
        self, interventions: Iterable[InterventionRevision], enrolments: Iterable[EnrolmentRevision]
    ) -> None:
        for revision in interventions:
            key = f"{revision.terms.intervention_id}@{revision.terms.version}"
            self.interventions.setdefault(key, revision)
        for enrolment in enrolments:
            self.enrolments.setdefault(
                f"{enrolment.terms.enrolment_id}@{enrolment.terms.version}", enrolment
            )

    def month_actions(self) -> list[MonthAction]:
        return list(self.actions.values())

    def add_month_action(self, action: MonthAction) -> None:
        with self._unique_id:
            if action.action_id in self.actions:
                raise DuplicateRecord(action.action_id)
            self.actions[action.action_id] = action

    def table_entries(self) -> list[TableEntry]:
        return list(self.entries.values())

    def add_table_entry(self, entry: TableEntry) -> None:
        with self._unique_id:
            if entry.entry_id in self.entries:
                raise DuplicateRecord(entry.entry_id)
            self.entries[entry.entry_id] = entry

    def add_saved_forecast(self, saved: SavedForecast) -> None:
        self.saved.append(saved)

    def saved_forecasts(self, financial_year: str) -> list[SavedForecast]:
        return sorted(
            (s for s in self.saved if s.financial_year == financial_year),
            key=lambda s: (s.saved_at, s.forecast_id),
        )

    def facts(self, transactions: TransactionRepository) -> Facts:
        return Facts(
            transactions=transactions.all(),
            interventions=list(self.interventions.values()),
            enrolments=list(self.enrolments.values()),
            month_actions=self.month_actions(),
            table_entries=self.table_entries(),
        )


def bump_generation(db: Database[dict[str, Any]]) -> None:
    """Tell every report process that facts changed (see the module's docstring)."""
    db[GENERATION].update_one({"_id": "facts"}, {"$set": {"value": uuid.uuid4().hex}}, upsert=True)


def _insert_new(db: Database[dict[str, Any]], collection: str, records: list[Record]) -> None:
    """Insert the records whose `_id` is not taken yet; the others are kept as they are."""
    if not records:
        return
    try:
        db[collection].insert_many(records, ordered=False)
    except BulkWriteError as error:
        if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
            raise


def _insert_one(db: Database[dict[str, Any]], collection: str, record: Record) -> None:
    try:
        db[collection].insert_one(record)
    except DuplicateKeyError as error:
        raise DuplicateRecord(record["_id"]) from error
    bump_generation(db)


@dataclass
class _Cached:
    generation: Any
    loaded: float  # monotonic, for the cache's maximum age
    since: datetime  # wall clock when it was read: journal entries from then on are new
    facts: Facts
    known: set[str]  # the ids of the transactions and revisions in `facts`


@dataclass
class MongoFinanceRecords(FinanceRecords):
    db: Database[dict[str, Any]]
    max_age_seconds: float = FACTS_MAX_AGE_SECONDS
    _cached: _Cached | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rereading: bool = False

    def add_revisions(
        self, interventions: Iterable[InterventionRevision], enrolments: Iterable[EnrolmentRevision]
    ) -> None:
        intervention_rows = [intervention_revision_record(r) for r in interventions]
        enrolment_rows = [enrolment_revision_record(r) for r in enrolments]
        _insert_new(self.db, INTERVENTION_REVISIONS, intervention_rows)
        _insert_new(self.db, ENROLMENT_REVISIONS, enrolment_rows)
        note_written(
            self.db,
            [(INTERVENTION_REVISIONS, r["_id"]) for r in intervention_rows]
            + [(ENROLMENT_REVISIONS, r["_id"]) for r in enrolment_rows],
        )

    def month_actions(self) -> list[MonthAction]:
        return [
            MonthAction(r["month"], r["sequence"], r["action"], r["by"], r["at"], r["reason"])
            for r in self.db[MONTH_ACTIONS].find()
        ]

    def add_month_action(self, action: MonthAction) -> None:
        _insert_one(self.db, MONTH_ACTIONS, {"_id": action.action_id, **action.__dict__})

    def table_entries(self) -> list[TableEntry]:
        return [
            TableEntry(r["table"], r["key"], r["sequence"], r["value"], r["by"], r["at"])
            for r in self.db[TABLE_ENTRIES].find()
        ]

    def add_table_entry(self, entry: TableEntry) -> None:
        _insert_one(self.db, TABLE_ENTRIES, {"_id": entry.entry_id, **entry.__dict__})

    def add_saved_forecast(self, saved: SavedForecast) -> None:
        self.db[SAVED_FORECASTS].insert_one(
            {
                "_id": saved.forecast_id,
                "financial_year": saved.financial_year,
                "saved_by": saved.saved_by,
                "saved_at": saved.saved_at,
                "as_at": saved.as_at,
                "parameters": packed_json(orjson.dumps(saved.parameters)),
                "interventions": packed_json(orjson.dumps(saved.interventions)),
            }
        )

    def saved_forecasts(self, financial_year: str) -> list[SavedForecast]:
        found = self.db[SAVED_FORECASTS].find({"_id": {"$regex": f"^{financial_year}:"}})
        saved = [
            SavedForecast(
                forecast_id=r["_id"],
                financial_year=r["financial_year"],
                saved_by=r["saved_by"],
                saved_at=r["saved_at"],
                as_at=r["as_at"],
                parameters=unpacked_json(r["parameters"]),
                interventions=unpacked_json(r["interventions"]),
            )
            for r in found
        ]
        return sorted(saved, key=lambda s: (s.saved_at, s.forecast_id))

    def facts(self, transactions: TransactionRepository) -> Facts:
        """The facts as recorded now. The first call reads them all (the API does it before it
        reports ready); later calls add only what the journal names since. Once the facts are
        `max_age_seconds` old they are read again whole, in the background, while reports go on
        answering from the journal's updates: a report never waits for a whole reading again."""
        since = datetime.now(UTC)
        generation = (self.db[GENERATION].find_one({"_id": "facts"}) or {}).get("value")
        with self._lock:
            cached = self._cached
            if cached is None:
                self._cached = self._read_all(transactions, generation, since)
                return self._cached.facts
            if time.monotonic() - cached.loaded >= self.max_age_seconds and not self._rereading:
                self._rereading = True
                threading.Thread(
                    target=self._reread, args=(transactions,), name="ledger-facts", daemon=True
                ).start()
            if cached.generation != generation:
                self._cached = self._read_new(cached, generation, since)
            return self._cached.facts

    def _reread(self, transactions: TransactionRepository) -> None:
        try:
            since = datetime.now(UTC)
            generation = (self.db[GENERATION].find_one({"_id": "facts"}) or {}).get("value")
            fresh = self._read_all(transactions, generation, since)
            with self._lock:
                self._cached = fresh  # what was written while reading comes through the journal
        except PyMongoError:
            logger.warning("reading the ledger's facts again failed; the next report retries")
        finally:
            self._rereading = False

    def _read_all(
        self, transactions: TransactionRepository, generation: Any, since: datetime
    ) -> _Cached:
        facts = Facts(
            transactions=transactions.all(),
            interventions=[
                _intervention_revision(r) for r in self.db[INTERVENTION_REVISIONS].find()
            ],
            enrolments=[_enrolment_revision(r) for r in self.db[ENROLMENT_REVISIONS].find()],
            month_actions=self.month_actions(),
            table_entries=self.table_entries(),
        )
        known = {t.transaction_id for t in facts.transactions}
        known |= {
            _revision_id(r.terms.intervention_id, r.terms.version) for r in facts.interventions
        }
        known |= {_revision_id(r.terms.enrolment_id, r.terms.version) for r in facts.enrolments}
        return _Cached(generation, time.monotonic(), since, facts, known)

    def _read_new(self, cached: _Cached, generation: Any, since: datetime) -> _Cached:
        """The cached facts and what the journal names since they were read (with a margin for
        writes that took their journal minute before the cache was read and landed after)."""
        new: dict[str, list[str]] = defaultdict(list)
        for minute in journal_minutes(cached.since - JOURNAL_MARGIN, since):
            for entry in self.db[JOURNAL].find({"_id": {"$regex": f"^{minute}:"}}):
                _, collection, document_id = entry["_id"].split(":", 2)
                if document_id not in cached.known:
                    new[collection].append(document_id)
        old = cached.facts
        records = {c: list(find_by_ids(self.db[c], ids)) for c, ids in new.items()}
        facts = Facts(
            transactions=old.transactions + list(_readable(records.get(TRANSACTIONS, []))),
            interventions=old.interventions
            + [_intervention_revision(r) for r in records.get(INTERVENTION_REVISIONS, [])],
            enrolments=old.enrolments
            + [_enrolment_revision(r) for r in records.get(ENROLMENT_REVISIONS, [])],
            month_actions=self.month_actions(),
            table_entries=self.table_entries(),
        )
        known = cached.known | {r["_id"] for found in records.values() for r in found}
        return _Cached(generation, cached.loaded, since, facts, known)


def _readable(records: Iterable[Record]) -> Iterator[Transaction]:
    """The records that read back as transactions; reconciliation reports the others."""
    for record in records:
        try:
            yield transaction_from_record(record)
        except (RuleBroken, KeyError, TypeError, ValueError):
            continue


def journal_minutes(start: datetime, end: datetime) -> list[str]:
    minutes = []
    current = start.replace(second=0, microsecond=0)
    while current <= end:
        minutes.append(current.strftime("%Y%m%d%H%M"))
        current += timedelta(minutes=1)
    return minutes


def note_written(db: Database[dict[str, Any]], documents: list[tuple[str, str]]) -> None:
    """Journal the documents just written (collection, `_id`) under this minute, then tell every
    report process that facts changed."""
    if not documents:
        return
    minute = datetime.now(UTC).strftime("%Y%m%d%H%M")
    _insert_new(
        db,
        JOURNAL,
        [{"_id": f"{minute}:{collection}:{doc_id}"} for collection, doc_id in documents],
    )
    bump_generation(db)


def _revision_id(aggregate_id: str, version: int) -> str:
    return f"{aggregate_id}@{version}"


def intervention_revision_record(revision: InterventionRevision) -> Record:
    terms = revision.terms
    return {
        **intervention_record(terms),
        "_id": _revision_id(terms.intervention_id, terms.version),
        "intervention_id": terms.intervention_id,
        "status": revision.status,
        "effective_date": revision.effective_date.isoformat(),
        "recorded_at": revision.recorded_at,
    }


def enrolment_revision_record(revision: EnrolmentRevision) -> Record:
    terms = revision.terms
    return {
        **enrolment_record(terms),
        "_id": _revision_id(terms.enrolment_id, terms.version),
        "enrolment_id": terms.enrolment_id,
        "recorded_at": revision.recorded_at,
    }


def _intervention_revision(record: Record) -> InterventionRevision:
    return InterventionRevision(
        terms=intervention_from_record({**record, "_id": record["intervention_id"]}),
        status=record["status"],
        effective_date=date.fromisoformat(record["effective_date"]),
        recorded_at=record["recorded_at"],
    )


def _enrolment_revision(record: Record) -> EnrolmentRevision:
    return EnrolmentRevision(
        terms=enrolment_from_record({**record, "_id": record["enrolment_id"]}),
        recorded_at=record["recorded_at"],
    )
