"""The value read model's facts in DuckDB tables, beside the Kafka positions they reflect.

One table per kind of fact, one row per fact (a snapshot's row holds its highest version). A
write is one transaction: every row of a consumer poll and the position reached on each
partition (topic, partition, next offset) commit together, so after a crash the consumer starts
from exactly what the tables reflect, as eventsourcing's tracking records do. The same event
published twice (the relays deliver at least once) is the same key: a fact is inserted only if
absent, a snapshot replaced only by a higher version. Every row keeps the write that last
changed it (`written`, counting up from 1) and when Acorn learnt it (`learned_at`, the event's
time), so a reader can follow what changed since it last looked, and an as-at report is a
condition on `learned_at`.

DuckDB allows one writer per database file: the store is opened by one process (the value API,
whose consumer thread writes through `write`), and readers there take a cursor each.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from services.value.domain.queries import DERIVED, METHOD_VIEWS

SCHEMA = Path(__file__).with_name("store.sql").read_text()  # tables, and the views the method reads
VALUE_SCALE = 10**18  # values and thresholds are decimals of at most 18 places

# table -> (key column, its other columns in the order rows give them); `written` and
# `learned_at` follow. Snapshots have a `version` and keep the highest.
COLUMNS = {
    "providers": "provider_id version name",
    "interventions": "intervention_id version provider_id title category pricing_model prices"
    " target_indicators end_date",
    "enrolments": "enrolment_id version intervention_id child_ref start_date end_date",
    "indicators": "code version name outcome_area unit direction improvement_threshold",
    "observations": "observation_id child_ref indicator_code observed_on recorded_at value"
    " supersedes",
    "withdrawals": "observation_id",
    "needs": "assessment_id child_ref assessed_on need_level",
    "transactions": "transaction_id basis kind intervention_id",
}
TABLES = {table: (names.split()[0], tuple(names.split()[1:])) for table, names in COLUMNS.items()}
SNAPSHOTS = frozenset({"providers", "interventions", "enrolments", "indicators"})
COST_LINE_COLUMNS = (
    "transaction_id", "line", "child_ref", "service_period_start", "service_period_end",
    "cost_pence",
)  # fmt: skip
Position = tuple[str, int]  # (topic, partition)
LAST_CHANGE = "SELECT coalesce(max(written), 0) FROM writes WHERE changed"


@dataclass
class Staged:
    """A poll's rows, by table and key (the last row of a key wins; a snapshot's highest
    version), and each cost line, waiting for one write."""

    rows: dict[str, dict[str, tuple[Any, ...]]] = field(default_factory=dict)
    cost_lines: dict[tuple[str, int], tuple[Any, ...]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        """`row`: the table's key, its columns, and when Acorn learnt it (`learned_at`)."""
        rows = self.rows.setdefault(table, {})
        kept = rows.get(row[0])
        if table in SNAPSHOTS and kept is not None and kept[1] >= row[1]:
            return
        rows[row[0]] = row

    def add_cost_line(self, row: tuple[Any, ...]) -> None:
        self.cost_lines[(row[0], row[1])] = row

    def absorb(self, other: Staged) -> None:
        for table, rows in other.rows.items():
            for row in rows.values():
                self.add(table, row)
        self.cost_lines.update(other.cost_lines)

    def __bool__(self) -> bool:
        return bool(self.rows or self.cost_lines)


class FactStore:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._db = duckdb.connect(path)
        self._db.execute(SCHEMA)
        self._db.execute(DERIVED)
        self._db.execute(METHOD_VIEWS)
        self._derived_from: int | None = None  # the last change the derived tables reflect
        self._derive_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of the caller's own to the same database (one per thread)."""
        return self._db.cursor()

    def close(self) -> None:
        self._db.close()

    def write(self, staged: Staged, positions: Mapping[Position, int]) -> int:
        """Store `staged` and the positions reached in one transaction; the write's number, or
        0 if nothing was to be written."""
        if not staged and not positions:
            return 0
        with self._write_lock:
            db = self._db.cursor()
            db.execute("BEGIN TRANSACTION")
            try:
                [(last,)] = db.execute("SELECT coalesce(max(written), 0) FROM writes").fetchall()
                written = last + 1
                changed = [
                    self._insert(db, table, list(rows.values()), written)
                    for table, rows in staged.rows.items()
                ]
                if staged.cost_lines:
                    columns = ", ".join(f"unnest(${n + 1})" for n in range(len(COST_LINE_COLUMNS)))
                    db.execute(
                        f"INSERT INTO cost_lines SELECT {columns} ON CONFLICT DO NOTHING",
                        [list(values) for values in zip(*staged.cost_lines.values(), strict=True)],
                    )
                db.execute("INSERT INTO writes VALUES (?, ?, FALSE)", [written, any(changed)])
                if positions:
                    topics, partitions, offsets = zip(
                        *((topic, partition, offset) for (topic, partition), offset in
                          positions.items()),
                        strict=True,
                    )  # fmt: skip
                    db.execute(
                        "INSERT OR REPLACE INTO positions "
                        "SELECT unnest($1), unnest($2), unnest($3)",
                        [list(topics), list(partitions), list(offsets)],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            finally:
                db.close()
        return written

    @staticmethod
    def _insert(
        db: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]], written: int
    ) -> bool:
        """Insert `rows` (a new fact, a new key or a higher version); whether any changed."""
        key, others = TABLES[table]
        names = (key, *others)
        values = [list(column) for column in zip(*rows, strict=True)]
        selected = ", ".join(f"unnest(${n + 1}) AS {name}" for n, name in enumerate(names))
        learned = f"unnest(${len(names) + 1})::TIMESTAMPTZ AS learned_at"
        incoming = f"SELECT {selected}, {learned}"
        [(before,)] = db.execute(
            f"SELECT count(*) FROM {table} t JOIN ({incoming}) i ON t.{key} = i.{key}"
            + (" AND t.version >= i.version" if table in SNAPSHOTS else ""),
            values,
        ).fetchall()
        if before == len(rows):
            return False  # every row already there, none newer: a redelivery
        columns = ", ".join((*names, "written", "learned_at"))
        picked = ", ".join((*names, str(written), "learned_at"))
        if table in SNAPSHOTS:
            updates = ", ".join(f"{c} = excluded.{c}" for c in (*others, "written", "learned_at"))
            conflict = f"DO UPDATE SET {updates} WHERE excluded.version > {table}.version"
        else:
            conflict = "DO NOTHING"
        db.execute(
            f"INSERT INTO {table} ({columns}) SELECT {picked} FROM ({incoming}) "
            f"ON CONFLICT ({key}) {conflict}",
            values,
        )
        return True

    def fetch(self, query: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows `query` returns, on a connection of its own."""
        db = self.cursor()
        try:
            return db.execute(query, parameters or []).fetchall()
        finally:
            db.close()

    def positions(self) -> dict[Position, int]:
        rows = self.fetch("SELECT topic, partition, next_offset FROM positions")
        return {(topic, partition): offset for topic, partition, offset in rows}

    def counts(self) -> dict[str, int]:
        """How many rows each table of facts holds."""
        return {
            table: int(self.fetch(f"SELECT count(*) FROM {table}")[0][0])
            for table in (*TABLES, "cost_lines")
        }

    def derive(self) -> int:
        """Make the derived tables (`DERIVED`) again if a fact changed since they were made: in
        one transaction, so they reflect one state of the facts, whichever writes go on. The
        last change they reflect (at least every change made before this was called)."""
        with self._derive_lock:
            if self._derived_from == self.last_change():
                return self._derived_from
            db = self.cursor()
            try:
                db.execute("BEGIN TRANSACTION")
                [(last,)] = db.execute(LAST_CHANGE).fetchall()
                db.execute(DERIVED)
                db.execute("COMMIT")
                self._derived_from = last
            finally:
                db.close()
            return last

    def last_change(self) -> int:
        """The number of the last write that changed a fact (0: none yet)."""
        return int(self.fetch(LAST_CHANGE)[0][0])

    def reset(self) -> None:
        """Forget every fact and position: the next consumer starts from the beginning."""
        with self._write_lock:
            db = self.cursor()
            try:
                db.execute("BEGIN TRANSACTION")
                for table in (*TABLES, "cost_lines", "positions"):
                    db.execute(f"DELETE FROM {table}")
                # the write numbers go on counting, so a reader sees a change
                [(last,)] = db.execute("SELECT coalesce(max(written), 0) FROM writes").fetchall()
                db.execute("INSERT INTO writes VALUES (?, TRUE, TRUE)", [last + 1])
                db.execute("COMMIT")
            finally:
                db.close()

    def rows(self, query: str, parameters: list[Any] | None = None) -> Iterator[dict[str, Any]]:
        """The rows `query` returns, as dicts by column name, fetched a slice at a time."""
        db = self.cursor()
        try:
            result = db.execute(query, parameters or [])
            names = [column[0] for column in result.description]
            while chunk := result.fetchmany(50_000):
                for row in chunk:
                    yield dict(zip(names, row, strict=True))
        finally:
            db.close()
