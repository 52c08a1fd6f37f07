"""The value service's own read model, built from every topic and read by every report.

Events become rows of the fact store (`adapters/store.py`, DuckDB): snapshots (providers,
interventions, enrolments, indicators) keep the highest version, one row per key; observations,
withdrawals, needs assessments and ledger transactions (with their cost lines) are immutable facts,
one row per id. Which observations are current is decided when a report reads them, so a
correction may arrive before what it corrects, and the order of arrival never matters.

An event that can never be stored (a cost line whose service period ends before it starts) is
refused while its poll is staged, so the consumer dead-letters it and stores the rest.

Reports compute in Python from records loaded into the report process (`adapters/loaded.py`):
loaded once, then only the rows written since (every row carries the write that last changed it).
Computed reports are cached per query until the next write that changes a fact.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from itertools import chain
from typing import Any, TypeVar

from services.value.adapters.loaded import LoadedModel
from services.value.adapters.store import FactStore, Position, Staged
from services.value.domain.model import Facts
from services.value.domain.prepared import Prepared
from shared.events.catalogue import commissioning as c
from shared.events.catalogue import ledger as ledger_events
from shared.events.catalogue import outcomes as o
from shared.events.envelope import Envelope

CACHED_REPORTS = 64
T = TypeVar("T")


def _provider(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return "providers", (data["provider_id"], data["version"], data["name"])


def _intervention(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    k = data["intervention"]
    prices = [
        {"effective_from": _day(p["effective_from"]), "unit_price_pence": p["unit_price_pence"]}
        for p in k["prices"]
    ]
    return "interventions", (
        k["intervention_id"], k["version"], k["provider_id"], k["title"], k["category"],
        k["pricing_model"], prices, list(k["target_indicators"]), _day(k.get("end_date")),
    )  # fmt: skip


def _enrolment(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    e = data["enrolment"]
    return "enrolments", (
        e["enrolment_id"], e["version"], e["intervention_id"], e["child_ref"],
        _day(e["start_date"]), _day(e.get("end_date")),
    )  # fmt: skip


def _indicator(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    i = data["indicator"]
    return "indicators", (
        i["code"], i["version"], i["name"], i["outcome_area"], i["unit"], i["direction"],
        # the decimal text it was sent as, so no binary float reaches the method
        repr(i["improvement_threshold"]),
    )  # fmt: skip


def _observation(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return "observations", (
        data["observation_id"], data["child_ref"], data["indicator_code"],
        _day(data["observed_on"]), data["recorded_at"], repr(data["value"]),
        data.get("supersedes"),
    )  # fmt: skip


def _withdrawal(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return "withdrawals", (data["observation_id"],)


def _needs(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return "needs", (
        data["assessment_id"], data["child_ref"], _day(data["assessed_on"]), data["need_level"],
    )  # fmt: skip


def _transaction(data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return "transactions", (
        data["transaction_id"], data["basis"], data["kind"], data.get("intervention_id"),
    )  # fmt: skip


# event type -> the table and row it gives
ROWS: dict[str, Callable[[dict[str, Any]], tuple[str, tuple[Any, ...]]]] = {
    **dict.fromkeys((c.PROVIDER_REGISTERED, c.PROVIDER_UPDATED), _provider),
    **dict.fromkeys(
        (
            c.INTERVENTION_COMMISSIONED,
            c.INTERVENTION_ACTIVATED,
            c.INTERVENTION_AMENDED,
            c.INTERVENTION_SUSPENDED,
            c.INTERVENTION_RESUMED,
            c.INTERVENTION_ENDED,
            c.INTERVENTION_CORRECTED,
        ),
        _intervention,
    ),
    **dict.fromkeys((c.CHILD_ENROLLED, c.ENROLMENT_ENDED), _enrolment),
    **dict.fromkeys((o.INDICATOR_ADDED, o.INDICATOR_VERSIONED, o.INDICATOR_RETIRED), _indicator),
    o.OBSERVATION_RECORDED: _observation,
    o.OBSERVATION_CORRECTED: _observation,
    o.OBSERVATION_WITHDRAWN: _withdrawal,
    o.NEEDS_ASSESSED: _needs,
    ledger_events.TRANSACTION_POSTED: _transaction,
}


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def stage(events: Iterable[Envelope], staged: Staged | None = None) -> Staged:
    """`events` as rows to store (added to `staged`); raises on an event that can never be."""
    staged = staged if staged is not None else Staged()
    for event in events:
        table, row = ROWS[event.type](event.data)
        staged.add(table, (*row, event.time))
        if event.type == ledger_events.TRANSACTION_POSTED:
            for n, line in enumerate(event.data["lines"]):
                start = date.fromisoformat(line["service_period_start"])
                end = date.fromisoformat(line["service_period_end"])
                if end < start:
                    raise ValueError(
                        f"transaction {row[0]}: cost line {n} ends ({end}) before it "
                        f"starts ({start})"
                    )
                staged.add_cost_line(
                    (row[0], n, line.get("child_ref"), start, end, line["cost_pence"])
                )
    return staged


# each table as the records `LoadedModel` merges, changed after a given write
SINCE: dict[str, str] = {
    "providers": "SELECT provider_id AS _id, name FROM providers WHERE written > $1",
    "interventions": """
        SELECT intervention_id AS _id, intervention_id, provider_id, title, category,
            pricing_model, target_indicators, CAST(end_date AS VARCHAR) AS end_date,
            list_transform(prices, lambda p: {
                'effective_from': CAST(p.effective_from AS VARCHAR),
                'unit_price_pence': p.unit_price_pence}) AS prices
        FROM interventions WHERE written > $1""",
    "enrolments": """
        SELECT enrolment_id AS _id, intervention_id, child_ref,
            CAST(start_date AS VARCHAR) AS start_date, CAST(end_date AS VARCHAR) AS end_date
        FROM enrolments WHERE written > $1""",
    "indicators": """
        SELECT code AS _id, code, name, outcome_area, unit, direction, improvement_threshold
        FROM indicators WHERE written > $1""",
    "observations": """
        SELECT observation_id AS _id, child_ref, indicator_code,
            CAST(observed_on AS VARCHAR) AS observed_on, recorded_at, value, supersedes
        FROM observations WHERE written > $1""",
    "withdrawals": "SELECT observation_id AS _id FROM withdrawals WHERE written > $1",
    "needs": """
        SELECT assessment_id AS _id, child_ref, CAST(assessed_on AS VARCHAR) AS assessed_on,
            need_level
        FROM needs WHERE written > $1""",
    "transactions": """
        SELECT t.transaction_id AS _id, t.basis, t.kind, t.intervention_id,
            list({'child_ref': l.child_ref,
                  'service_period_start': CAST(l.service_period_start AS VARCHAR),
                  'service_period_end': CAST(l.service_period_end AS VARCHAR),
                  'cost_pence': l.cost_pence} ORDER BY l.line) AS lines
        FROM transactions t JOIN cost_lines l USING (transaction_id)
        WHERE t.written > $1 GROUP BY ALL""",
}


class ReadModel:
    def __init__(self, store: FactStore) -> None:
        self.store = store
        self._loaded: LoadedModel | None = None
        self._reports: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def handlers(self) -> dict[str, Callable[[Envelope], None]]:
        """The event types the read model takes, each applied alone."""
        return dict.fromkeys(ROWS, self.apply)

    def apply(self, event: Envelope) -> None:
        self.apply_batch([event])

    def apply_batch(self, events: list[Envelope]) -> None:
        """Store `events` (any order, duplicates and redeliveries included) in one write."""
        self.write(stage(events), {})

    def write(self, staged: Staged, positions: Mapping[Position, int]) -> None:
        self.store.write(staged, positions)

    def reset(self) -> None:
        self.store.reset()

    def generation(self) -> int:
        """The last write that changed a fact: what a report's answer is as fresh as."""
        return self.store.last_change()

    # --- what reports read ---------------------------------------------------------------------

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        return self._current().transactions(basis)

    def facts(self, basis: str) -> Facts:
        return self._current().facts(basis)

    def prepared(self, basis: str) -> Prepared:
        return self._current().prepared(basis)

    def observation_count(self) -> int:
        """How many observations (recorded and corrections, each once) the read model holds."""
        return len(self._current().observations)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or what it returned for `key` while the read model was as it is now."""
        generation = self._current().generation
        hit = self._reports.get(key)
        if hit is not None and hit[0] == generation:
            self._reports.move_to_end(key)
            result: T = hit[1]
            return result
        result = compute()
        self._reports[key] = (generation, result)
        self._reports.move_to_end(key)
        while len(self._reports) > CACHED_REPORTS:
            self._reports.popitem(last=False)
        return result

    def _current(self) -> LoadedModel:
        """The records as of the last change: what changed since the last load is merged, and
        everything is loaded again after a reset (its deletions leave no rows to merge)."""
        generation = self.generation()  # read first: the load is at least this fresh
        loaded = self._loaded
        if loaded is not None and loaded.generation == generation:
            return loaded
        if loaded is None or self.store.reset_since(loaded.generation):
            loaded = LoadedModel(0)
        since = loaded.generation
        for table, query in SINCE.items():
            rows = self.store.rows(query, [since])
            first = next(rows, None)
            if first is not None:  # a table with nothing new keeps what was built from it
                loaded.merge(table, chain([first], rows))
        loaded.generation = generation
        self._loaded = loaded
        return loaded
