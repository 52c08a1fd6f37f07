"""The value service's HTTP API: reports finance, commissioners and auditors pull (port 8004).

The process also runs the read-model consumer, in a thread of its own: DuckDB allows one writer per
database file, so the process that reads the facts is the one that writes them (README, "Process
model"). `/readyz` answers 503 until the consumer has caught up with the topics as they were when
it started; `/metrics` shows its lag on each partition.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass

from flask import Flask

from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.entrypoints.consumer import PositionedConsumer, ReadModelCollector, build_runner
from services.value.entrypoints.views.reports import blp as reports_blp
from shared.config import ServiceSettings
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class ValueApi:
    runtime: ServiceRuntime
    read_model: ReadModel
    suppression_threshold: int
    baseline_window_days: int


class NotCaughtUp(Exception):
    pass


def create_app(settings: ServiceSettings | None = None) -> Flask:
    """The API with its consumer running (what gunicorn serves)."""
    settings = settings or value_settings.load_api()
    runtime = ServiceRuntime.connect(settings)
    read_model = ReadModel(FactStore(settings.extras["database_file"]))
    runner = build_runner(settings, read_model)
    app = create_service_app_for(runtime, settings, read_model, consumer=runner.consumer)  # type: ignore[arg-type]
    stop = threading.Event()
    consuming = threading.Thread(target=runner.run, args=(stop,), name=runner.name, daemon=True)
    consuming.start()

    def finish() -> None:
        stop.set()
        consuming.join(timeout=30)
        runner.producer.close(timeout=5)

    atexit.register(finish)
    return app


def create_service_app_for(
    runtime: ServiceRuntime,
    settings: ServiceSettings,
    read_model: ReadModel,
    *,
    consumer: PositionedConsumer | None = None,
) -> Flask:
    """The API over `read_model`; with the `consumer` that fills it, ready once it caught up."""
    from shared.http.app import create_service_app

    checks = runtime.readiness_checks()
    if consumer is not None:

        def caught_up() -> None:
            if not consumer.caught_up.is_set():
                raise NotCaughtUp("the read model is still catching up with the topics")

        checks["read_model"] = caught_up
    app = create_service_app(
        settings=settings,
        title="Acorn value",
        description="What difference each pound made: cost per outcome, RBA report cards, "
        "turning the curve, narrowing the gap and reconciliation, by the reference value method.",
        blueprints=[reports_blp],
        db=runtime.db,
        readiness_checks=checks,
        extension=ValueApi(
            runtime=runtime,
            read_model=read_model,
            suppression_threshold=settings.extras["suppression_threshold"],
            baseline_window_days=settings.extras["baseline_window_days"],
        ),
    )
    if consumer is not None:
        app.extensions["acorn_metrics"].register(ReadModelCollector(consumer))
    return app
