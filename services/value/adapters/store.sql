-- The value read model's tables: one per kind of fact, one row per fact (store.py), and the
-- positions and writes they reflect.
CREATE TABLE IF NOT EXISTS positions (
    topic VARCHAR, partition INTEGER, next_offset BIGINT NOT NULL, PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS writes (
    written BIGINT PRIMARY KEY, changed BOOLEAN NOT NULL, reset BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS providers (
    provider_id VARCHAR PRIMARY KEY, version INTEGER NOT NULL, name VARCHAR NOT NULL,
    written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS interventions (
    intervention_id VARCHAR PRIMARY KEY, version INTEGER NOT NULL, provider_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL, category VARCHAR NOT NULL, pricing_model VARCHAR NOT NULL,
    prices STRUCT(effective_from DATE, unit_price_pence BIGINT)[] NOT NULL,
    target_indicators VARCHAR[] NOT NULL, end_date DATE,
    written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS enrolments (
    enrolment_id VARCHAR PRIMARY KEY, version INTEGER NOT NULL, intervention_id VARCHAR NOT NULL,
    child_ref VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE,
    written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS indicators (
    code VARCHAR PRIMARY KEY, version INTEGER NOT NULL, name VARCHAR NOT NULL,
    outcome_area VARCHAR NOT NULL, unit VARCHAR NOT NULL, direction VARCHAR NOT NULL,
    improvement_threshold VARCHAR NOT NULL,
    written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS observations (
    observation_id VARCHAR PRIMARY KEY, child_ref VARCHAR NOT NULL, indicator_code VARCHAR NOT NULL,
    observed_on DATE NOT NULL, recorded_at VARCHAR NOT NULL, value VARCHAR NOT NULL,
    supersedes VARCHAR, written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS withdrawals (
    observation_id VARCHAR PRIMARY KEY, written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS needs (
    assessment_id VARCHAR PRIMARY KEY, child_ref VARCHAR NOT NULL, assessed_on DATE NOT NULL,
    need_level VARCHAR NOT NULL, written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    transaction_id VARCHAR PRIMARY KEY, basis VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    intervention_id VARCHAR, written BIGINT NOT NULL, learned_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS cost_lines (
    transaction_id VARCHAR NOT NULL, line INTEGER NOT NULL, child_ref VARCHAR,
    service_period_start DATE NOT NULL, service_period_end DATE NOT NULL,
    cost_pence BIGINT NOT NULL, PRIMARY KEY (transaction_id, line));

-- What the method's queries read (services/value/domain/method.sql), as views over the tables.
-- Values and thresholds are decimals of at most 18 places: VALUE_SCALE in store.py.
CREATE OR REPLACE VIEW enrolment_spans AS
SELECT e.intervention_id, e.child_ref, e.start_date,
    coalesce(e.end_date, i.end_date, DATE '9999-12-31') AS end_date
FROM enrolments e LEFT JOIN interventions i USING (intervention_id);
CREATE OR REPLACE VIEW observation_values AS
SELECT observation_id, child_ref, indicator_code, observed_on, recorded_at,
    replace(CAST(CAST(value AS DECIMAL(38, 18)) AS VARCHAR), '.', '')::HUGEINT AS value_scaled
FROM observations
WHERE observation_id NOT IN (SELECT supersedes FROM observations WHERE supersedes IS NOT NULL)
    AND observation_id NOT IN (SELECT observation_id FROM withdrawals);
CREATE OR REPLACE VIEW thresholds AS
SELECT code, CASE WHEN direction = 'higher_is_better' THEN 1 ELSE -1 END AS sign,
    replace(CAST(CAST(improvement_threshold AS DECIMAL(38, 18)) AS VARCHAR), '.', '')::HUGEINT
        AS threshold_scaled
FROM indicators;
CREATE OR REPLACE VIEW ledger_lines AS
SELECT t.transaction_id, l.line, t.basis, t.intervention_id, l.child_ref,
    l.service_period_start, l.service_period_end, l.cost_pence
FROM transactions t JOIN cost_lines l USING (transaction_id);
