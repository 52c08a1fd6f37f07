"""The reference value method, version 1.1 (handbook domain.md): its SQL is method.sql, step by
step; this runs it. Queries return integers (pence as numerators over each line's denominator,
days, values times a scale); exact rationals are made here from them (`exact_sum`), only where
the method adds different denominators or shares a change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import lcm
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from gmpy2 import mpq

from services.value.domain.model import FAR_FUTURE, Facts, Period

T = TypeVar("T")
NO_INTERVENTION = "(no intervention)"
UNALLOCATED = "(unallocated)"
NOT_ASSESSED = "(not assessed)"
NOT_ENROLLED = "(never enrolled)"
NO_TARGET = "(no target indicator)"

# The method's SQL (method.sql): the tables derived from the relations above, made again when
# the facts changed since they were last made, then the queries' building blocks over them.
DERIVED, METHOD_VIEWS = Path(__file__).with_name("method.sql").read_text().split("-- == queries ==")


@dataclass
class Source:
    """The facts of one database on one cost basis: what the method's queries read. `remember`
    keeps what a report worked out for others on the same facts (the read model's cache)."""

    connect: Callable[[], duckdb.DuckDBPyConnection]
    basis: str
    value_scale: int
    remember: Callable[[Hashable, Callable[[], Any]], Any] = field(
        default=lambda key, compute: compute()
    )

    def rows(self, query: str, **parameters: Any) -> list[tuple[Any, ...]]:
        """What `query` returns, given those of `parameters` it names (`$name`)."""
        [rows] = self.each((query,), **parameters)
        return rows

    def each(self, queries: Iterable[str], **parameters: Any) -> list[list[tuple[Any, ...]]]:
        """What each of `queries` returns, run one after another on one connection (so a later
        one may read a TEMP table an earlier one made)."""
        db = self.connect()
        try:
            return [
                db.execute(
                    query, {k: v for k, v in parameters.items() if f"${k}" in query}
                ).fetchall()
                for query in queries
            ]
        finally:
            db.close()


def window(period: Period) -> dict[str, date]:
    return {"first_day": period.start, "last_day": period.end}


def exact_sum(parts: Iterable[tuple[int, int]]) -> Fraction:
    """The exact sum of numerators over denominators (gmpy2's rationals: thousands of distinct
    denominators are summed in a report)."""
    total = mpq(0)
    for numerator, denominator in parts:
        total += mpq(int(numerator), int(denominator))
    return Fraction(int(total.numerator), int(total.denominator))


def exact_sums(rows: Iterable[tuple[Any, int, int]]) -> dict[Any, Fraction]:
    """`exact_sum` per key of (key, numerator, denominator) rows."""
    parts: dict[Any, list[tuple[int, int]]] = {}
    for key, numerator, denominator in rows:
        parts.setdefault(key, []).append((numerator, denominator))
    return {key: exact_sum(its) for key, its in parts.items()}


# --- facts held in memory, as a database of their own -------------------------------------------

FACTS_TABLES = """
CREATE TABLE interventions (intervention_id VARCHAR, provider_id VARCHAR, title VARCHAR,
    category VARCHAR, target_indicators VARCHAR[]);
CREATE TABLE providers (provider_id VARCHAR, name VARCHAR);
CREATE TABLE indicators (code VARCHAR, name VARCHAR, outcome_area VARCHAR, direction VARCHAR);
CREATE TABLE thresholds (code VARCHAR, sign INTEGER, threshold_scaled HUGEINT);
CREATE TABLE enrolment_spans (intervention_id VARCHAR, child_ref VARCHAR, start_date DATE,
    end_date DATE);
CREATE TABLE observation_values (observation_id VARCHAR, child_ref VARCHAR,
    indicator_code VARCHAR, observed_on DATE, recorded_at VARCHAR, value_scaled HUGEINT);
CREATE TABLE ledger_lines (transaction_id VARCHAR, line INTEGER, basis VARCHAR,
    intervention_id VARCHAR, child_ref VARCHAR, service_period_start DATE,
    service_period_end DATE, cost_pence BIGINT);
CREATE TABLE needs (assessment_id VARCHAR, child_ref VARCHAR, assessed_on DATE,
    need_level VARCHAR);
"""
FACTS_BASIS = "facts"


def source_of(facts: Facts | Source) -> Source:
    """`facts` as a source: a source as it is, plain facts (a test's) put in a database in
    memory, their values and thresholds over one common denominator."""
    if isinstance(facts, Source):
        return facts
    db = duckdb.connect()
    db.execute(FACTS_TABLES)
    scale = 1
    for value in (
        *(o.value for o in facts.observations),
        *(i.threshold for i in facts.indicators.values()),
    ):
        scale = lcm(scale, value.denominator)

    def insert(table: str, rows: list[tuple[Any, ...]]) -> None:
        """`rows` into `table` in one statement: a list per column, unnested side by side."""
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            unnested = ", ".join(f"unnest(${n + 1})" for n in range(len(columns)))
            db.execute(f"INSERT INTO {table} SELECT {unnested}", columns)

    insert(
        "interventions",
        [
            (k.intervention_id, k.provider_id, k.title, k.category, list(k.target_indicators))
            for k in facts.interventions.values()
        ],
    )
    insert("providers", list(facts.provider_names.items()))
    insert(
        "indicators",
        [(i.code, i.name, i.outcome_area, i.direction) for i in facts.indicators.values()],
    )
    insert(
        "thresholds",
        [(i.code, i.sign, int(i.threshold * scale)) for i in facts.indicators.values()],
    )
    insert(
        "enrolment_spans",
        [(e.intervention_id, e.child_ref, e.start, e.end or FAR_FUTURE) for e in facts.enrolments],
    )
    insert(
        "observation_values",
        [
            (
                o.observation_id,
                o.child_ref,
                o.indicator_code,
                o.observed_on,
                o.recorded_at,
                int(o.value * scale),
            )
            for o in facts.observations
        ],
    )
    insert(
        "ledger_lines",
        [
            (
                x.transaction_id,
                n,
                FACTS_BASIS,
                x.intervention_id,
                x.child_ref,
                x.period.start,
                x.period.end,
                x.cost_pence,
            )
            for n, x in enumerate(facts.lines)
        ],
    )
    insert(
        "needs", [(n.assessment_id, n.child_ref, n.assessed_on, n.need_level) for n in facts.needs]
    )
    db.execute(DERIVED)
    db.execute(METHOD_VIEWS)
    return Source(db.cursor, FACTS_BASIS, scale)
