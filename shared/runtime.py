"""What a service process holds at run time, and how workers (relay, consumer) are run.

`ServiceRuntime` is built once per process from validated settings: the database client and
database, the outbox, the audit log, the topic names and readiness checks. Nothing connects until
first use, so building it never blocks.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo import MongoClient
from pymongo.database import Database

from shared.audit import AuditLog
from shared.config import ServiceSettings
from shared.events.topics import service_topic
from shared.kafka import broker_ready
from shared.logs import configure_logging
from shared.mongo import connect, ping
from shared.outbox import Outbox
from shared.probes import ProbedWorker, serving_probes
from shared.settings import Setting, SettingsError


class Worker(ProbedWorker, Protocol):
    def run(self, stop: threading.Event) -> None: ...


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    client: MongoClient[dict[str, Any]]
    db: Database[dict[str, Any]]
    outbox: Outbox
    audit: AuditLog

    @classmethod
    def connect(cls, settings: ServiceSettings) -> ServiceRuntime:
        client = connect(settings.mongodb_uri)
        db = client[settings.database]
        return cls(settings=settings, client=client, db=db, outbox=Outbox(db), audit=AuditLog(db))

    def topic(self, service: str) -> str:
        """The topic `service` publishes on, in this runtime's namespace (prefix)."""
        return service_topic(service, self.settings.topic_prefix)

    def readiness_checks(self) -> dict[str, Callable[[], None]]:
        from shared.http.app import CachedCheck  # the HTTP layer depends on us, not vice versa

        return {
            "database": lambda: ping(self.client),
            "broker": CachedCheck(lambda: broker_ready(self.settings.kafka_bootstrap_servers)),
        }


def load_api_settings(service: str, extras: Mapping[str, Setting] | None = None) -> ServiceSettings:
    """Settings for an API process; a bad setting stops it with a message naming the variable."""
    return _load(service, extras=extras, with_jwt=True)


def load_worker_settings(
    service: str, extras: Mapping[str, Setting] | None = None
) -> ServiceSettings:
    """Settings for a relay or consumer process (no JWT: they answer no requests)."""
    return _load(service, extras=extras, with_jwt=False)


def _load(service: str, **kwargs: Any) -> ServiceSettings:
    try:
        settings = ServiceSettings.from_env(service, **kwargs)
    except SettingsError as error:
        sys.exit(f"{service}: configuration error: {error}")
    configure_logging(service, settings.log_level)
    return settings


def run_worker(settings: ServiceSettings, name: str, worker: Worker) -> None:
    """Run a relay or consumer until signalled, with its probes served meanwhile."""
    with serving_probes(settings.metrics_port, name, worker):
        run_until_signalled(worker.run)


def run_until_signalled(work: Callable[[threading.Event], None]) -> None:
    """Run `work(stop)` and set `stop` on SIGTERM or SIGINT, so the worker finishes cleanly."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    work(stop)
