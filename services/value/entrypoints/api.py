"""The value service's HTTP API: reports finance, commissioners and auditors pull (port 8004)."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from flask import Flask

from services.value import settings as value_settings
from services.value.adapters.allocator import map_large_blocks_apart
from services.value.adapters.readmodel import ReadModel
from services.value.entrypoints.views.reports import blp as reports_blp
from shared.config import ServiceSettings
from shared.runtime import ServiceRuntime

# The report process holds the read model as millions of long-lived objects. Python's collector
# traverses all of them in a full collection (~1.5 s at the largest preset), which by default ran
# every few reports, on whichever request was running. The read model holds no reference cycles
# (what a change replaces is freed by reference counting), so full collections are made a hundred
# times rarer: over bench.stack_reports' 35 queries in-process at the largest preset, 24 full
# collections became 2 and the total 52 s became 44 s.
YOUNGER_COLLECTIONS_PER_FULL_ONE = 1_000  # Python's default: 10


@dataclass(frozen=True)
class ValueApi:
    runtime: ServiceRuntime
    read_model: ReadModel
    suppression_threshold: int
    baseline_window_days: int


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or value_settings.load_api()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, YOUNGER_COLLECTIONS_PER_FULL_ONE)
    map_large_blocks_apart()
    runtime = ServiceRuntime.connect(settings)
    return create_service_app_for(runtime, settings)


def create_service_app_for(runtime: ServiceRuntime, settings: ServiceSettings) -> Flask:
    from shared.http.app import create_service_app

    return create_service_app(
        settings=settings,
        title="Acorn value",
        description="What difference each pound made: cost per outcome, RBA report cards, "
        "turning the curve, narrowing the gap and reconciliation, by the reference value method.",
        blueprints=[reports_blp],
        db=runtime.db,
        readiness_checks=runtime.readiness_checks(),
        extension=ValueApi(
            runtime=runtime,
            read_model=ReadModel(runtime.db),
            suppression_threshold=settings.extras["suppression_threshold"],
            baseline_window_days=settings.extras["baseline_window_days"],
        ),
    )
