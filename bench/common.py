"""What the benchmarks share: the machine line, percentiles, isolated names, a whole system as
processes (like tests/e2e/conftest.py), a bench council set up through the commissioning API,
observation rows, and resident-memory sampling from /proc.

Everything a benchmark creates (databases, topics, consumer groups, processes) carries the run's
own name and is removed at the end.
"""

from __future__ import annotations

import os
import platform
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from deploy import processes, stack
from shared.auth import JwtSettings, mint_token
from shared.events.topics import all_topics
from shared.kafka import admin, ensure_topics
from shared.mongo import connect

INDICATORS = ("school_attendance", "sdq_total_difficulties", "placement_moves_12m", "in_eet")
VALUES = {"school_attendance": 91.5, "sdq_total_difficulties": 12, "in_eet": 1}


def mongodb_uri() -> str:
    return os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/")


def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def run_id() -> str:
    return uuid.uuid4().hex[:8]


def machine() -> str:
    """One line naming the machine the figures were measured on."""
    memory = "unknown"
    with suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {platform.platform()}, {cpu}, cpu count {os.cpu_count()}, memory {memory}, "
        f"python {platform.python_version()}, load average at end {load}"
    )


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(samples: list[float], shares: tuple[float, ...] = (0.5, 0.95)) -> str:
    parts = [f"p{round(s * 100)} {percentile(samples, s) * 1000:8.1f} ms" for s in shares]
    return "   ".join(parts) + f"   (n={len(samples)})"


def delete_topics(bootstrap: str, topics: list[str]) -> None:
    client = admin(bootstrap)
    try:
        existing = set(client.list_topics())
        doomed = [t for t in topics if t in existing]
        if doomed:
            client.delete_topics(doomed)
    finally:
        client.close()


def delete_groups(bootstrap: str, prefix: str) -> list[str]:
    """Delete every consumer group whose name starts with `prefix` (the run's own)."""
    client = admin(bootstrap)
    try:
        deleted: list[str] = []
        for _ in range(10):  # a group a stopping member is still leaving cannot be deleted yet
            groups = [
                g["group_id"] for g in client.list_groups() if g["group_id"].startswith(prefix)
            ]
            if not groups:
                break
            with suppress(Exception):
                client.delete_groups(groups)
                deleted += groups
            time.sleep(1)
        return deleted
    finally:
        client.close()


# --- resident memory -----------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def rss_mb(pid: int) -> float:
    with suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class RssSampler:
    """Samples each component's processes every `interval` s; keeps each one's maximum."""

    pids: dict[str, int]
    interval: float = 0.5
    largest: dict[str, float] = field(default_factory=dict)  # largest single process
    total: dict[str, float] = field(default_factory=dict)  # the whole process tree
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        for name, pid in self.pids.items():
            sizes = [rss_mb(p) for p in tree(pid)]
            self.largest[name] = max(self.largest.get(name, 0.0), max(sizes, default=0.0))
            self.total[name] = max(self.total.get(name, 0.0), sum(sizes))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.sample()

    def report(self, limit_mb: float = 150.0) -> list[str]:
        lines = []
        for name in sorted(self.largest):
            largest, total = self.largest[name], self.total[name]
            verdict = "ok" if largest < limit_mb else f"OVER {limit_mb:.0f} MB"
            lines.append(
                f"  {name:<28} max RSS {largest:6.1f} MB (process tree {total:6.1f} MB)  {verdict}"
            )
        return lines


# --- a whole system as processes -----------------------------------------------------------------


@dataclass
class System:
    """The four services' APIs, relays and consumers as processes, with databases, topics and
    consumer groups of this run's own (like tests/e2e/conftest.py, on other ports)."""

    run: str
    port_offset: int
    prefix: str
    databases: dict[str, str]
    jwt: JwtSettings
    components: list[processes.Component]
    env: dict[str, str]

    @property
    def urls(self) -> dict[str, str]:
        return {
            s.name: f"http://{stack.LOCAL_HOST}:{s.port + self.port_offset}" for s in stack.SERVICES
        }

    def pids(self) -> dict[str, int]:
        found = {}
        for component in self.components:
            pid = processes.running_pid(component.pid_file)
            if pid is not None:
                found[component.name.removesuffix(f"-bench{self.run}")] = pid
        return found

    def token(self, role: str, provider_id: str | None = None) -> str:
        return mint_token(self.jwt, roles=[role], provider_id=provider_id, subject=f"bench-{role}")

    def headers(self, role: str, provider_id: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token(role, provider_id)}",
            "Idempotency-Key": str(uuid.uuid4()),
        }


@contextmanager
def running_system(
    port_offset: int = 20_000,
    extra_env: dict[str, str] | None = None,
    *,
    run: str | None = None,
    jwt_secret: str | None = None,
    keep: bool = False,
) -> Iterator[System]:
    """The system of a new run, or of run `run` again (its databases and topics as it left them,
    with the same `jwt_secret`); `keep` leaves databases and topics for a later run to reuse."""
    run = run or run_id()
    prefix = f"bench_{run}."
    kafka, uri = kafka_bootstrap(), mongodb_uri()
    secret = jwt_secret or secrets.token_urlsafe(48)
    jwt = JwtSettings("HS256", "acorn-bench", "acorn", secret=secret)
    databases = {f"ACORN_{s.name.upper()}_DB": f"bench_{s.name}_{run}" for s in stack.SERVICES}
    env = {
        **stack.isolated_environment(
            mongodb_uri=uri, kafka_bootstrap=kafka, topic_prefix=prefix,
            databases=databases, jwt=jwt,
        ),
        "ACORN_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }  # fmt: skip
    ensure_topics(kafka, all_topics(prefix))
    components = stack.service_components(
        port_offset=port_offset, name_suffix=f"-bench{run}", env=env
    )
    system = System(run, port_offset, prefix, databases, jwt, components, env)
    client = connect(uri)
    succeeded = False
    try:
        for component in components:
            processes.start(component)
        for component in components:
            processes.wait_ready(component)
        yield system
        succeeded = True
    finally:
        for component in components:
            processes.stop(component.pid_file)
            if succeeded:  # on failure the logs stay in .state/logs for reading
                with suppress(OSError):
                    component.log_file.unlink()
        if not keep:
            for database in databases.values():
                client.drop_database(database)
            delete_groups(kafka, prefix)
            delete_topics(kafka, all_topics(prefix))
        client.close()


def value_facts(system: System, table: str) -> int:
    """Rows in a table of the value read model, from the value API's `/metrics`."""
    response = requests.get(f"{system.urls['value']}/metrics", timeout=30)
    response.raise_for_status()
    wanted = f'acorn_value_facts{{table="{table}"}} '
    for line in response.text.splitlines():
        if line.startswith(wanted):
            return int(float(line.removeprefix(wanted)))
    return 0


# --- a bench council through the commissioning API -----------------------------------------------


@dataclass
class Council:
    provider_id: str
    intervention_id: str
    children: list[str]
    enrolled_from: date


def _write(
    url: str, *, headers: dict[str, str], timeout: float = 60.0, **kwargs: Any
) -> requests.Response:
    """POST until accepted: a refusal caused by an event not yet consumed is retried."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.post(url, headers=headers, timeout=60, **kwargs)
        if response.ok:
            return response
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:500]}")
        time.sleep(0.3)


def set_up_council(system: System, children: int) -> Council:
    """A provider, an active intervention and `children` enrolments, all through the
    commissioning API; returns once the outcomes service lets the provider post for them."""
    base = system.urls["commissioning"]
    today = datetime.now(UTC).date()
    start = today - timedelta(days=400)
    provider = _write(
        f"{base}/providers",
        headers=system.headers("commissioner"),
        json={"name": "Bench Family Services", "kind": "voluntary"},
    ).json()["provider_id"]
    created = _write(
        f"{base}/interventions",
        headers=system.headers("commissioner"),
        json={
            "provider_id": provider,
            "title": "Bench mentoring",
            "category": "education_support",
            "pricing_model": "per_child_week",
            "unit_price_pence": 10_000,
            "capacity": children + 10,
            "start_date": start.isoformat(),
            "end_date": (today + timedelta(days=365)).isoformat(),
            "budget_pence": 10_000_000_000,
            "target_indicators": ["school_attendance"],
        },
    )
    intervention = created.json()["intervention_id"]
    _write(
        f"{base}/interventions/{intervention}/activate",
        headers={**system.headers("commissioner"), "If-Match": created.headers["ETag"]},
        json={"effective_date": start.isoformat()},
    )
    refs = [f"bench-child-{n:05d}" for n in range(children)]
    session = requests.Session()
    for ref in refs:
        response = session.post(
            f"{base}/interventions/{intervention}/enrolments",
            headers=system.headers("commissioner"),
            json={"child_ref": ref, "start_date": start.isoformat()},
            timeout=60,
        )
        response.raise_for_status()
    session.close()
    council = Council(provider, intervention, refs, start)
    # wait for the outcomes service to learn the last enrolment from Kafka
    deadline = time.monotonic() + 120
    probe = {"observations": [observation_row(council, len(refs) - 1, offset=0)]}
    while True:
        response = requests.post(
            f"{system.urls['outcomes']}/observations/batch",
            headers=system.headers("provider", provider),
            json=probe,
            timeout=60,
        )
        response.raise_for_status()
        if response.json()["recorded"] == 1:
            return council
        if time.monotonic() > deadline:
            raise RuntimeError(f"the outcomes service never learnt the enrolments: {response.text}")
        time.sleep(0.3)


def observation_row(council: Council, index: int, *, offset: int = 1) -> dict[str, Any]:
    """The `index`th distinct observation: child, then day, then indicator vary."""
    n = len(council.children)
    days = 360
    code = INDICATORS[(index // (n * days)) % len(INDICATORS)]
    observed = datetime.now(UTC).date() - timedelta(days=offset + (index // n) % days)
    return {
        "child_ref": council.children[index % n],
        "indicator_code": code,
        "value": VALUES.get(code, 2),
        "observed_on": observed.isoformat(),
        "intervention_id": council.intervention_id,
    }
