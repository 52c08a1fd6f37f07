"""The value service's own read model, built from every topic and read by every report.

Events become rows of the fact store (`adapters/store.py`, DuckDB): snapshots (providers,
interventions, enrolments, indicators) keep the highest version, one row per key; observations,
withdrawals, needs assessments and ledger transactions (with their cost lines) are immutable facts,
one row per id. Which observations are current is decided when a report reads them, so a
correction may arrive before what it corrects, and the order of arrival never matters.

An event that can never be stored (a cost line whose service period ends before it starts) is
refused while its poll is staged, so the consumer dead-letters it and stores the rest.

Reports are queries over these tables (`services.value.domain.queries`); a computed report is
cached per query until the next write that changes a fact.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from fractions import Fraction
from functools import partial
from typing import Any, TypeVar

from services.value.adapters.store import VALUE_SCALE, FactStore, Position, Staged
from services.value.domain.model import (
    CostLine,
    Enrolment,
    Facts,
    Indicator,
    Intervention,
    NeedsAssessment,
    Observation,
    Period,
    PricePeriod,
)
from services.value.domain.queries import Source
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


class ReadModel:
    def __init__(self, store: FactStore) -> None:
        self.store = store
        # computed reports, and what they worked out for each other (a period's changes), kept
        # with the write they are as fresh as
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

    def source(self, basis: str) -> Source:
        """The facts on `basis` as the method's queries read them. What a report works out for
        others from them is kept as fresh as the derived tables it read (a write may land
        meanwhile: what was worked out before it must not pass for what came after)."""
        derived = self.store.derive()
        return Source(self.store.cursor, basis, VALUE_SCALE, partial(self._cached_at, derived))

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        return [
            {"_id": t, "kind": kind, "basis": basis}
            for t, kind in self.store.fetch(
                "SELECT transaction_id, kind FROM transactions WHERE basis = ? ORDER BY 1", [basis]
            )
        ]

    def facts(self, basis: str) -> Facts:
        """The facts on `basis` as plain records, for tools and checks (reports query them)."""

        def records(make: Callable[..., T], query: str, *parameters: Any) -> list[T]:
            return [make(*row) for row in self.store.fetch(query, list(parameters))]

        def intervention(
            k: str,
            provider: str,
            title: str,
            category: str,
            model: str,
            prices: list[dict[str, Any]],
            targets: list[str],
        ) -> Intervention:
            listed = tuple(PricePeriod(p["effective_from"], p["unit_price_pence"]) for p in prices)
            return Intervention(k, provider, title, category, model, listed, tuple(targets))

        return Facts(
            interventions={k.intervention_id: k for k in records(intervention, """
                SELECT intervention_id, provider_id, title, category, pricing_model, prices,
                    target_indicators FROM interventions ORDER BY intervention_id""")},
            enrolments=records(Enrolment, """
                SELECT e.enrolment_id, e.intervention_id, e.child_ref, e.start_date,
                    coalesce(e.end_date, i.end_date) FROM enrolments e
                LEFT JOIN interventions i USING (intervention_id) ORDER BY enrolment_id"""),
            indicators={i.code: i for i in records(
                lambda *row: Indicator(*row[:-1], Fraction(row[-1])),
                "SELECT code, name, outcome_area, unit, direction, improvement_threshold"
                " FROM indicators ORDER BY code")},
            observations=records(
                lambda *row: Observation(*row[:-1], Fraction(row[-1])), """
                SELECT observed_on, recorded_at, observation_id, child_ref, indicator_code, value
                FROM observations WHERE observation_id IN
                    (SELECT observation_id FROM observation_values) ORDER BY observation_id"""),
            lines=records(
                lambda t, k, c, start, end, pence: CostLine(t, k, c, Period(start, end), pence),
                "SELECT transaction_id, intervention_id, child_ref, service_period_start,"
                " service_period_end, cost_pence FROM ledger_lines WHERE basis = ?"
                " ORDER BY transaction_id, line", basis),
            needs=records(NeedsAssessment, "SELECT child_ref, assessed_on, assessment_id,"
                          " need_level FROM needs ORDER BY assessment_id"),
            provider_names=dict(self.store.fetch("SELECT provider_id, name FROM providers")),
        )  # fmt: skip

    def observation_count(self) -> int:
        """How many observations (recorded and corrections, each once) the read model holds."""
        return self.store.counts()["observations"]

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or what it returned for `key` while the read model was as it is now."""
        return self._cached_at(self.generation(), key, compute)

    def _cached_at(self, generation: int, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` (as fresh as `generation` at least), or what it returned for `key` at
        `generation`."""
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
