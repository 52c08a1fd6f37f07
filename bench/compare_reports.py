"""Every value report from a running value service, saved or compared with a saved copy.

    .venv/bin/python -m bench.compare_reports capture --preset demo --events EVENTS.jsonl.gz
    .venv/bin/python -m bench.compare_reports reports --events EVENTS.jsonl.gz --save DIR
    .venv/bin/python -m bench.compare_reports reports --events EVENTS.jsonl.gz --against DIR

`capture` runs a whole system as processes (bench.common.running_system, ports shifted by
`--port-offset`), loads a preset through the APIs (deploy/council) and writes every event on its
topics, partition by partition in offset order, to a file. The same events give the same reports
whatever day it is and whatever ids the services chose, so one capture serves every later run.

`reports` publishes those events on topics of its own (each to the partition it came from), starts
only the value service (its API and, where it has one, its consumer) on shifted ports, waits until
the value consumer group has committed the end of every partition, and asks every report: all five,
as JSON, every rule, basis and grouping, several periods (financial years, a quarter, a month, a
span cutting through service periods), suppressed and not. Each answer is written byte for byte to
DIR/<name>.json (`--save`), or compared with the file of that name (`--against`); the names that
differ, are missing or are new are printed, and the exit status is 1 if any.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from kafka import KafkaConsumer, TopicPartition

from bench.common import (
    delete_groups,
    delete_topics,
    kafka_bootstrap,
    mongodb_uri,
    run_id,
    running_system,
)
from deploy import processes, stack
from deploy.demo import Acorn
from shared.auth import JwtSettings, mint_token
from shared.events.catalogue.outcomes import NEED_LEVELS
from shared.events.topics import all_topics
from shared.kafka import admin, ensure_topics, make_producer
from shared.mongo import connect

RULES = ("cost_share", "time_share", "equal_share")
BASES = ("accrued", "invoiced", "paid")
GROUPINGS = (
    "intervention",
    "provider",
    "category",
    "indicator",
    "outcome_area",
    "cohort",
    "need_level",
)
CARD_GROUPINGS = ("intervention", "provider")
VALUE_GROUP = "acorn.value.read-model"  # the value consumer group, after the topic prefix


# --- capture -------------------------------------------------------------------------------------


def _end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def _quiet(bootstrap: str, topics: list[str], *, still_for: float = 10.0) -> None:
    """Return once no topic has grown for `still_for` seconds: the relays have published all."""
    last, since = _end_offsets(bootstrap, topics), time.monotonic()
    while time.monotonic() - since < still_for:
        time.sleep(1)
        now = _end_offsets(bootstrap, topics)
        if now != last:
            last, since = now, time.monotonic()


def _read_all(bootstrap: str, topics: list[str], prefix: str) -> Iterator[dict[str, Any]]:
    """Every record of `topics`, partition by partition in offset order, without the prefix."""
    ends = _end_offsets(bootstrap, topics)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        for partition, end in sorted(ends.items()):
            if end == 0:
                continue
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            while consumer.position(partition) < end:
                for records in consumer.poll(timeout_ms=1000, max_records=5000).values():
                    for record in records:
                        yield {
                            "topic": partition.topic.removeprefix(prefix),
                            "partition": partition.partition,
                            "key": record.key.decode() if record.key is not None else None,
                            "value": base64.b64encode(record.value).decode(),
                        }
    finally:
        consumer.close()


def capture(preset: str, seed: int, out: Path, port_offset: int) -> None:
    from deploy.council import load

    bootstrap = kafka_bootstrap()
    with running_system(port_offset=port_offset) as system:
        acorn = Acorn(
            urls=system.urls,
            token_for=lambda role, provider_id=None: system.token(role, provider_id),
            timeout=120,
        )
        with tempfile.TemporaryDirectory() as state_dir:
            load.main(preset, seed, acorn=acorn, state_dir=Path(state_dir))
        topics = all_topics(system.prefix)
        _quiet(bootstrap, topics)
        written = 0
        with gzip.open(out, "wt") as file:
            for record in _read_all(bootstrap, topics, system.prefix):
                file.write(json.dumps(record) + "\n")
                written += 1
    print(f"captured {written:,} events of the {preset} preset (seed {seed}) in {out}")


# --- reports -------------------------------------------------------------------------------------


def _events(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt") as file:
        for line in file:
            yield json.loads(line)


def publish(path: Path, prefix: str) -> int:
    producer = make_producer(kafka_bootstrap())
    sent = 0
    try:
        for record in _events(path):
            producer.send(
                prefix + record["topic"],
                key=record["key"].encode() if record["key"] is not None else None,
                value=base64.b64decode(record["value"]),
                partition=record["partition"],
            )
            sent += 1
        producer.flush(timeout=120)
    finally:
        producer.close(timeout=10)
    return sent


def _indicators(path: Path) -> list[str]:
    codes = set()
    for record in _events(path):
        event = json.loads(base64.b64decode(record["value"]))
        if event["type"].endswith("indicator_added"):
            codes.add(event["data"]["indicator"]["code"])
    return sorted(codes)


def financial_years(path: Path) -> list[int]:
    years = set()
    for record in _events(path):
        event = json.loads(base64.b64decode(record["value"]))
        if event["type"].endswith("child_enrolled"):
            start = event["data"]["enrolment"]["start_date"]
            year, month = int(start[:4]), int(start[5:7])
            years.add(year if month >= 4 else year - 1)
    return sorted(years)


def queries(indicators: list[str], years: list[int]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(name, path, query) of every report asked: names are unique and sort by report."""
    last = years[-1]
    periods: dict[str, dict[str, Any]] = {f"fy{fy}": {"fy": fy} for fy in years}
    periods |= {
        f"fy{last}q3": {"fy": last, "quarter": 3},
        f"m{last + 1}-01": {"month": f"{last + 1}-01"},
        f"span{last}-05-17_{last}-11-09": {"from": f"{last}-05-17", "to": f"{last}-11-09"},
    }
    for period_name, period in periods.items():
        for suppressed in (True, False):
            shown = "suppressed" if suppressed else "unsuppressed"
            flag = {} if suppressed else {"unsuppressed": "true"}
            for basis in BASES:
                for rule in RULES:
                    for group_by in GROUPINGS:
                        yield (
                            f"cost-per-outcome_{period_name}_{basis}_{rule}_{group_by}_{shown}",
                            "cost-per-outcome",
                            {**period, "basis": basis, "rule": rule, "group_by": group_by, **flag},
                        )
                for group_by in CARD_GROUPINGS:
                    yield (
                        f"report-card_{period_name}_{basis}_{group_by}_{shown}",
                        "report-card",
                        {**period, "basis": basis, "group_by": group_by, **flag},
                    )
                yield (
                    f"reconciliation_{period_name}_{basis}_{shown}",
                    "reconciliation",
                    {**period, "basis": basis, **flag},
                )
    for indicator in indicators:
        for cohort in ("all", *NEED_LEVELS):
            yield (
                f"turn-the-curve_fy{last}_{indicator}_{cohort}",
                "turn-the-curve",
                {"fy": last, "indicator": indicator, "since": f"{last}-10-01", "cohort": cohort},
            )
        yield (
            f"turn-the-curve_span{years[0]}-{last}_{indicator}_all_unsuppressed",
            "turn-the-curve",
            {"from": f"{years[0]}-04-01", "to": f"{last + 1}-03-31", "indicator": indicator,
             "since": f"{last}-04-01", "unsuppressed": "true"},
        )  # fmt: skip
        for first, second in (("low", "high"), ("medium", "complex")):
            yield (
                f"narrow-the-gap_fy{last}_{indicator}_{first}_{second}",
                "narrow-the-gap",
                {"fy": last, "indicator": indicator, "first": first, "second": second},
            )


def _lag(bootstrap: str, topics: list[str], group: str) -> int:
    """Events on `topics` the group has not committed yet (all of them if it has none)."""
    ends = _end_offsets(bootstrap, topics)
    client = admin(bootstrap)
    try:
        committed = client.list_group_offsets(group).get(group, {})
    finally:
        client.close()
    return sum(
        end - (committed[p].offset if p in committed and committed[p].offset >= 0 else 0)
        for p, end in ends.items()
    )


@dataclass
class ValueService:
    url: str
    jwt: JwtSettings
    component: processes.Component
    events: int
    caught_up_in: float  # seconds from starting the process to its caught-up read model


@contextmanager
def value_service(
    port_offset: int, events: Path, extra_env: dict[str, str] | None = None
) -> Iterator[ValueService]:
    """The value service alone on its own ports, database and topics, fed `events`."""
    run = run_id()
    prefix = f"bench_{run}."
    bootstrap, uri = kafka_bootstrap(), mongodb_uri()
    jwt = JwtSettings("HS256", "acorn-bench", "acorn", secret=run * 6)
    database = f"bench_value_{run}"
    env = {
        **stack.isolated_environment(
            mongodb_uri=uri, kafka_bootstrap=bootstrap, topic_prefix=prefix,
            databases={"ACORN_VALUE_DB": database}, jwt=jwt,
        ),
        "ACORN_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }  # fmt: skip
    topics = all_topics(prefix)
    ensure_topics(bootstrap, topics)
    components = [
        c
        for c in stack.service_components(
            port_offset=port_offset, name_suffix=f"-compare{run}", env=env
        )
        if c.name.startswith("value-")
    ]
    try:
        sent = publish(events, prefix)
        began = time.monotonic()
        for component in components:
            processes.start(component)
        for component in components:
            processes.wait_ready(component)
        while _lag(bootstrap, topics, prefix + VALUE_GROUP) > 0:
            time.sleep(0.5)
        took = time.monotonic() - began
        print(f"value caught up with {sent:,} events in {took:.1f} s")
        port = next(s.port for s in stack.SERVICES if s.name == "value") + port_offset
        [api] = [c for c in components if c.name.startswith("value-api")]
        yield ValueService(f"http://{stack.LOCAL_HOST}:{port}", jwt, api, sent, took)
    finally:
        for component in components:
            processes.stop(component.pid_file)
        client = connect(uri)
        client.drop_database(database)
        client.close()
        delete_groups(bootstrap, prefix)
        delete_topics(bootstrap, topics)


def reports(events: Path, port_offset: int, save: Path | None, against: Path | None) -> int:
    asked = list(queries(_indicators(events), financial_years(events)))
    answers: dict[str, bytes] = {}
    with value_service(port_offset, events) as service:
        base = service.url
        session = requests.Session()
        session.headers["Authorization"] = (
            f"Bearer {mint_token(service.jwt, roles=['finance'], subject='compare')}"
        )
        began = time.monotonic()
        for name, path, query in asked:
            response = session.get(f"{base}/reports/{path}?{urlencode(query)}", timeout=600)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {response.status_code} {response.text[:500]}")
            answers[name] = response.content
        session.close()
        print(f"{len(asked)} reports in {time.monotonic() - began:.1f} s")
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for name, body in answers.items():
            (save / f"{name}.json").write_bytes(body)
        print(f"saved in {save}")
        return 0
    assert against is not None
    saved = {path.stem: path.read_bytes() for path in against.glob("*.json")}
    differ = sorted(n for n in answers.keys() & saved.keys() if answers[n] != saved[n])
    missing, new = sorted(saved.keys() - answers.keys()), sorted(answers.keys() - saved.keys())
    for name in differ:
        paths = list(_differences(json.loads(saved[name]), json.loads(answers[name])))
        print(f"differ: {name}: {', '.join(paths[:5])}{' ...' if len(paths) > 5 else ''}")
    for label, names in (("missing", missing), ("new", new)):
        for name in names:
            print(f"{label}: {name}")
    same = len(answers.keys() & saved.keys()) - len(differ)
    print(f"{same} identical, {len(differ)} differ, {len(missing)} missing, {len(new)} new")
    return 1 if differ or missing or new else 0


def _differences(saved: Any, answer: Any, path: str = "") -> Iterator[str]:
    """Where two reports differ: a path per differing leaf (a row named by its group)."""
    if isinstance(saved, dict) and isinstance(answer, dict):
        for key in sorted(saved.keys() | answer.keys()):
            if saved.get(key) != answer.get(key):
                yield from _differences(saved.get(key), answer.get(key), f"{path}.{key}")
    elif isinstance(saved, list) and isinstance(answer, list) and len(saved) == len(answer):
        for n, (a, b) in enumerate(zip(saved, answer, strict=True)):
            if a != b:
                name = a.get("group", n) if isinstance(a, dict) else n
                yield from _differences(a, b, f"{path}[{name}]")
    else:
        yield path or "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-offset", type=int, default=21_000)
    commands = parser.add_subparsers(dest="command", required=True)
    taking = commands.add_parser("capture", help="load a preset and save its events")
    taking.add_argument("--preset", default="demo")
    taking.add_argument("--seed", type=int, default=2025)
    taking.add_argument("--events", type=Path, required=True)
    asking = commands.add_parser("reports", help="every report from saved events")
    asking.add_argument("--events", type=Path, required=True)
    where = asking.add_mutually_exclusive_group(required=True)
    where.add_argument("--save", type=Path)
    where.add_argument("--against", type=Path)
    args = parser.parse_args()
    if args.command == "capture":
        capture(args.preset, args.seed, args.events, args.port_offset)
        return
    with suppress(KeyboardInterrupt):
        sys.exit(reports(args.events, args.port_offset, args.save, args.against))


if __name__ == "__main__":
    main()
