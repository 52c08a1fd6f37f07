"""The reference value method, version 1.1 (handbook domain.md), as SQL over the facts.

Every query reads the same relations, whether a DuckDB read model holds them (views over its
tables, `services.value.adapters.store`) or a test's facts were put in memory (`source_of`):

- `interventions`, `indicators`, `needs`, `providers`: as the facts give them;
- `enrolment_spans(intervention_id, child_ref, start_date, end_date)`: each enrolment, an open one
  running to its intervention's end (or the far future);
- `observation_values(observation_id, child_ref, indicator_code, observed_on, recorded_at,
  value_scaled)`: corrections applied and withdrawals removed; values times `value_scale`;
- `thresholds(code, sign, threshold_scaled)`: each indicator's direction and threshold, scaled;
- `ledger_lines(transaction_id, line, basis, intervention_id, child_ref, service_period_start,
  service_period_end, cost_pence)`.

Queries return integers: pence as numerators over each line's denominator, days, values times
the scale. Exact rationals are made in Python from them (`exact_sum`), only where the method
adds different denominators or shares a change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import lcm
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

# Tables derived from the relations above: what every report reads, made again when the facts
# changed since they were last made (the read model does this on the first report after a change,
# not on every write). They hold no figures, only the facts rearranged for the queries below.
DERIVED = """
-- a child's enrolments on an intervention merged where they overlap or touch: enrolled days
CREATE OR REPLACE TABLE enrolled AS
WITH ordered AS (
    SELECT intervention_id, child_ref, start_date, end_date,
        max(end_date) OVER (PARTITION BY intervention_id, child_ref ORDER BY start_date, end_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
    FROM enrolment_spans),
islands AS (
    SELECT *, sum(CASE WHEN reached IS NULL OR start_date > reached + 1 THEN 1 ELSE 0 END)
        OVER (PARTITION BY intervention_id, child_ref ORDER BY start_date, end_date
            ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered)
SELECT intervention_id, child_ref, min(start_date) AS start_date, max(end_date) AS end_date
FROM islands GROUP BY intervention_id, child_ref, island;

-- step 2's scope: each merged enrolled period once for each indicator its intervention targets
-- and the facts define (a child's series of that indicator is in scope while enrolled)
CREATE OR REPLACE TABLE reach AS
SELECT DISTINCT e.intervention_id, e.child_ref, e.start_date, e.end_date, t.indicator_code
FROM enrolled e
JOIN (SELECT intervention_id, unnest(target_indicators) AS indicator_code FROM interventions) t
    USING (intervention_id)
WHERE t.indicator_code IN (SELECT code FROM indicators);

CREATE OR REPLACE TABLE current_observations AS SELECT * FROM observation_values;

-- step 1: every cost line as segments, each `numerator / denominator` pence a day from
-- start_date to end_date on (intervention, child). A line tagged to a child, or on no
-- intervention, is one segment over its service period at its cost over its days. An untagged
-- line is shared by the children enrolled on its intervention during its service period in
-- proportion to their enrolled days: one segment per enrolled period it overlaps, each at its
-- cost over all their child-days; with nobody enrolled, one unallocated segment (child NULL).
CREATE OR REPLACE TABLE allocated AS
WITH pieces AS (
    SELECT l.basis, l.transaction_id, l.line, l.intervention_id, e.child_ref,
        greatest(l.service_period_start, e.start_date) AS start_date,
        least(l.service_period_end, e.end_date) AS end_date, l.cost_pence
    FROM ledger_lines l JOIN enrolled e ON e.intervention_id = l.intervention_id
        AND e.start_date <= l.service_period_end AND e.end_date >= l.service_period_start
    WHERE l.child_ref IS NULL)
SELECT basis, transaction_id, line, intervention_id, child_ref, start_date, end_date,
    cost_pence AS numerator,
    sum(end_date - start_date + 1) OVER (PARTITION BY transaction_id, line) AS denominator
FROM pieces
UNION ALL
SELECT basis, transaction_id, line, intervention_id, child_ref, service_period_start,
    service_period_end, cost_pence, service_period_end - service_period_start + 1
FROM ledger_lines l
WHERE child_ref IS NOT NULL OR intervention_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM pieces p WHERE p.transaction_id = l.transaction_id AND p.line = l.line);
"""

# The queries' building blocks, over the tables above.
METHOD_VIEWS = f"""
-- the indicators each intervention targets, as listed
CREATE OR REPLACE VIEW targeted AS
SELECT DISTINCT intervention_id, unnest(target_indicators) AS indicator_code FROM interventions;

-- step 1 on one cost basis
CREATE OR REPLACE MACRO segments(cost_basis) AS TABLE
SELECT * FROM allocated WHERE basis = cost_basis;

-- step 1 in a window: each (intervention, child) pair's spend in it, numerators summed over
-- each denominator (child NULL: unallocated; intervention NULL: on no intervention)
CREATE OR REPLACE MACRO spend_in(cost_basis, first_day, last_day) AS TABLE
SELECT intervention_id, child_ref, denominator,
    sum(numerator::HUGEINT
        * (least(end_date, last_day) - greatest(start_date, first_day) + 1)) AS numerator
FROM segments(cost_basis) WHERE start_date <= last_day AND end_date >= first_day
GROUP BY ALL;

-- children enrolled during a window on an intervention the facts know, and their days in it
CREATE OR REPLACE MACRO enrolled_in(first_day, last_day) AS TABLE
SELECT intervention_id, child_ref,
    sum(least(end_date, last_day) - greatest(start_date, first_day) + 1) AS days
FROM enrolled
WHERE start_date <= last_day AND end_date >= first_day
    AND intervention_id IN (SELECT intervention_id FROM interventions)
GROUP BY ALL;

-- step 2: each child's change on each indicator in scope for a period. In scope: enrolled during
-- the period on an intervention targeting the indicator. Baseline: the latest observation on or
-- before the first start of those enrolments, looking back at most `window_days`, else the
-- first after it; latest: the last on or before the period's end, later than the baseline.
-- Observations of a series are in order of day, then recording time, then id.
CREATE OR REPLACE MACRO changes(first_day, last_day, window_days) AS TABLE
WITH scope AS (
    SELECT child_ref, indicator_code, min(start_date) AS first_start FROM reach
    WHERE start_date <= last_day AND end_date >= first_day GROUP BY ALL),
series AS (
    SELECT s.child_ref, s.indicator_code, s.first_start, o.observed_on, o.value_scaled,
        row_number() OVER (PARTITION BY s.child_ref, s.indicator_code
            ORDER BY o.observed_on, o.recorded_at, o.observation_id) AS n
    FROM scope s JOIN current_observations o USING (child_ref, indicator_code)),
picked AS (
    SELECT child_ref, indicator_code,
        CASE WHEN max(observed_on) FILTER (WHERE observed_on <= first_start)
                >= any_value(first_start) - window_days
            THEN max(n) FILTER (WHERE observed_on <= first_start)
            ELSE min(n) FILTER (WHERE observed_on > first_start) END AS baseline,
        max(n) FILTER (WHERE observed_on <= last_day) AS latest
    FROM series GROUP BY ALL)
SELECT p.child_ref, p.indicator_code, b.observed_on AS baseline_day, y.observed_on AS latest_day,
    (y.value_scaled - b.value_scaled) * t.sign AS delta_scaled,
    (y.value_scaled - b.value_scaled) * t.sign >= t.threshold_scaled AS better_off,
    (y.value_scaled - b.value_scaled) * t.sign < t.threshold_scaled
        AND (y.value_scaled - b.value_scaled) * t.sign <= -t.threshold_scaled AS worse_off
FROM picked p
JOIN series b ON b.child_ref = p.child_ref AND b.indicator_code = p.indicator_code
    AND b.n = p.baseline
JOIN series y ON y.child_ref = p.child_ref AND y.indicator_code = p.indicator_code
    AND y.n = p.latest
JOIN thresholds t ON t.code = p.indicator_code
WHERE y.observed_on > b.observed_on;

-- step 3: each change and who claims it: the interventions targeting its indicator that the
-- child was enrolled on both during the period (version 1.1) and between its baseline and latest
-- days, with their enrolled days between those days (a change nobody claims: one row, NULL)
CREATE OR REPLACE MACRO claims(first_day, last_day, window_days) AS TABLE
WITH found AS (FROM changes(first_day, last_day, window_days)),
in_period AS (
    SELECT DISTINCT child_ref, indicator_code, intervention_id FROM reach
    WHERE start_date <= last_day AND end_date >= first_day),
claimed AS (
    SELECT c.child_ref, c.indicator_code, r.intervention_id,
        sum(least(r.end_date, c.latest_day) - greatest(r.start_date, c.baseline_day) + 1) AS days
    FROM found c
    JOIN reach r ON r.child_ref = c.child_ref AND r.indicator_code = c.indicator_code
        AND r.start_date <= c.latest_day AND r.end_date >= c.baseline_day
    JOIN in_period p ON p.child_ref = r.child_ref AND p.indicator_code = r.indicator_code
        AND p.intervention_id = r.intervention_id
    GROUP BY ALL)
SELECT found.*, claimed.intervention_id, claimed.days
FROM found LEFT JOIN claimed USING (child_ref, indicator_code);

-- step 4's groups of interventions: each intervention's group (or groups) by a grouping. By
-- indicator: each indicator it targets; by outcome area: the areas of those the facts define.
CREATE OR REPLACE MACRO intervention_groups(grouping) AS TABLE
SELECT intervention_id, intervention_id AS key FROM interventions WHERE grouping = 'intervention'
UNION ALL
SELECT intervention_id, provider_id FROM interventions WHERE grouping = 'provider'
UNION ALL
SELECT intervention_id, category FROM interventions WHERE grouping = 'category'
UNION ALL
SELECT intervention_id, indicator_code FROM targeted WHERE grouping = 'indicator'
UNION ALL
SELECT DISTINCT t.intervention_id, i.outcome_area
FROM targeted t JOIN indicators i ON i.code = t.indicator_code WHERE grouping = 'outcome_area'
UNION ALL
SELECT intervention_id, '{NO_TARGET}' FROM interventions
WHERE grouping IN ('indicator', 'outcome_area') AND intervention_id NOT IN (
    SELECT t.intervention_id FROM targeted t
    WHERE grouping = 'indicator' OR t.indicator_code IN (SELECT code FROM indicators));

-- step 4's groups of children: need level (the latest assessment on or before `day`) or entry
-- cohort (the financial quarter of the first enrolment, e.g. 2024-Q3: October to December 2024)
CREATE OR REPLACE MACRO child_groups(grouping, day) AS TABLE
SELECT child_ref, need_level AS key FROM needs
WHERE grouping = 'need_level' AND assessed_on <= day
QUALIFY row_number() OVER (PARTITION BY child_ref
    ORDER BY assessed_on DESC, assessment_id DESC, need_level DESC) = 1
UNION ALL
SELECT child_ref,
    (year(min(start_date)) - CASE WHEN month(min(start_date)) < 4 THEN 1 ELSE 0 END)::VARCHAR
        || '-Q' || ((month(min(start_date)) + 8) % 12 // 3 + 1)::VARCHAR
FROM enrolment_spans WHERE grouping = 'cohort' GROUP BY child_ref;
"""


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
