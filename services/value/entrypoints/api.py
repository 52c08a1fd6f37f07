"""The value service's HTTP API: reports finance, commissioners and auditors pull (port 8004)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from services.value.entrypoints.views.reports import blp as reports_blp
from shared.config import ServiceSettings
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class ValueApi:
    runtime: ServiceRuntime
    read_model: ReadModel
    suppression_threshold: int
    baseline_window_days: int


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or value_settings.load_api()
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
