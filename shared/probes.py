"""`/healthz` and `/metrics` for the processes that answer no requests: relays and consumers.

Each worker keeps a `heartbeat` (the monotonic time its loop last completed a pass) and reports its
figures through `metrics()`. A worker that stops completing passes (wedged on one record, waiting
on a broker or database that does not come back) turns `/healthz` to 503 after `STALE_AFTER_S`,
which is what a supervisor or an alert watches. `ACORN_METRICS_PORT` chooses the port; 0 serves
nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric

STALE_AFTER_S = 60.0


class ProbedWorker(Protocol):
    heartbeat: float

    def metrics(self) -> Iterable[Metric]: ...


class _WorkerCollector:
    def __init__(self, worker: ProbedWorker) -> None:
        self.worker = worker

    def collect(self) -> Iterable[Metric]:
        return self.worker.metrics()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes are polled every few seconds; their lines would drown the worker's own."""


def probe_app(name: str, worker: ProbedWorker) -> Any:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_WorkerCollector(worker))  # type: ignore[arg-type]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(registry)]
        if path == "/healthz":
            idle = time.monotonic() - worker.heartbeat
            alive = idle < STALE_AFTER_S
            body = {"status": "ok" if alive else "stuck", "worker": name, "since_pass_s": idle}
            status = "200 OK" if alive else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [orjson.dumps(body)]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: /healthz and /metrics are served here\n"]

    return app


@contextmanager
def serving_probes(port: int, name: str, worker: ProbedWorker) -> Iterator[WSGIServer | None]:
    """Serve the worker's probes on 127.0.0.1:`port` (or nothing for 0) while the block runs."""
    if not port:
        yield None
        return
    server = make_server("127.0.0.1", port, probe_app(name, worker), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"{name}-probes", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
