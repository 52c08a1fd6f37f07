-- The reference value method, version 1.1 (the handbook's domain.md), as DuckDB SQL.
--
-- Every query reads the same relations, whether a DuckDB read model holds them (views over its
-- tables, `services.value.adapters.store`) or a test's facts were put in memory (`source_of`):
--
-- - `interventions`, `indicators`, `needs`, `providers`: as the facts give them;
-- - `enrolment_spans(intervention_id, child_ref, start_date, end_date)`: each enrolment, an open one
--   running to its intervention's end (or the far future);
-- - `observation_values(observation_id, child_ref, indicator_code, observed_on, recorded_at,
--   value_scaled)`: corrections applied and withdrawals removed; values times `value_scale`;
-- - `thresholds(code, sign, threshold_scaled)`: each indicator's direction and threshold, scaled;
-- - `ledger_lines(transaction_id, line, basis, intervention_id, child_ref, service_period_start,
--   service_period_end, cost_pence)`.
--
-- Queries return integers: pence as numerators over each line's denominator, days, values times
-- the scale. Exact rationals are made in Python from them (`exact_sum`), only where the method
-- adds different denominators or shares a change.

-- Tables derived from the relations above: what every report reads, made again when the facts
-- changed since they were last made (the read model does this on the first report after a change,
-- not on every write). They hold no figures, only the facts rearranged for the queries below.

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

-- each child's series of an indicator in order (`n`): by day, then recording time, then id
CREATE OR REPLACE TABLE current_observations AS
SELECT *, row_number() OVER (PARTITION BY child_ref, indicator_code
    ORDER BY observed_on, recorded_at, observation_id) AS n
FROM observation_values;

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

-- == queries ==

-- The queries' building blocks, over the tables above.

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
CREATE OR REPLACE MACRO changes(first_day, last_day, window_days) AS TABLE
WITH scope AS (
    SELECT child_ref, indicator_code, min(start_date) AS first_start FROM reach
    WHERE start_date <= last_day AND end_date >= first_day GROUP BY ALL),
series AS (
    SELECT s.child_ref, s.indicator_code, s.first_start, o.observed_on, o.value_scaled, o.n
    FROM scope s JOIN current_observations o USING (child_ref, indicator_code)),
picked AS (
    SELECT child_ref, indicator_code, any_value(first_start) AS first_start,
        arg_max(observed_on, n) FILTER (WHERE observed_on <= first_start) AS before_day,
        arg_max(value_scaled, n) FILTER (WHERE observed_on <= first_start) AS before_value,
        arg_min(observed_on, n) FILTER (WHERE observed_on > first_start) AS after_day,
        arg_min(value_scaled, n) FILTER (WHERE observed_on > first_start) AS after_value,
        arg_max(observed_on, n) FILTER (WHERE observed_on <= last_day) AS latest_day,
        arg_max(value_scaled, n) FILTER (WHERE observed_on <= last_day) AS latest_value
    FROM series GROUP BY ALL),
measured AS (
    SELECT child_ref, indicator_code, latest_day,
        CASE WHEN before_day >= first_start - window_days THEN before_day ELSE after_day END
            AS baseline_day,
        (latest_value - CASE WHEN before_day >= first_start - window_days
            THEN before_value ELSE after_value END) AS difference
    FROM picked)
SELECT m.child_ref, m.indicator_code, m.baseline_day, m.latest_day,
    m.difference * t.sign AS delta_scaled,
    m.difference * t.sign >= t.threshold_scaled AS better_off,
    m.difference * t.sign < t.threshold_scaled
        AND m.difference * t.sign <= -t.threshold_scaled AS worse_off
FROM measured m JOIN thresholds t ON t.code = m.indicator_code
WHERE m.latest_day > m.baseline_day;

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
SELECT intervention_id, '(no target indicator)' FROM interventions
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
