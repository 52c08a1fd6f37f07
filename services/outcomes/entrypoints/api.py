"""The outcomes service's HTTP API (port 8002): framework, observations, needs assessments.

`create_app(settings=None)` builds the app; gunicorn runs
`services.outcomes.entrypoints.api:create_app()`. Nothing connects at creation: the default
framework is seeded on the first request that reads the framework (and at consumer start).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request

from services.outcomes import bootstrap
from services.outcomes.entrypoints.views import indicators, needs, observations, stories, uploads
from services.outcomes.service_layer.errors import Conflict, Forbidden, Invalid, NotFound, Stale
from services.outcomes.settings import load_api
from shared.config import ServiceSettings
from shared.http.app import create_service_app
from shared.http.concurrency import stale
from shared.http.problems import problem_response
from shared.runtime import ServiceRuntime

DESCRIPTION = """Outcomes of the children Acorn's providers serve, measured against a short
outcome framework (Results-Based Accountability: few indicators, plain language), and the
children's needs assessments.

**Guardrail:** too many indicators hide the ones that matter. When more indicators are active
than `ACORN_OUTCOMES_INDICATOR_GUARDRAIL` (default 20), framework responses carry a
`guardrail.warning`.

**Batches:** `POST /observations/batch` takes at most `ACORN_OUTCOMES_BATCH_LIMIT` (default 1,000)
observations and answers one result per row.

Every write needs an `Idempotency-Key`; a replay with the same key returns the first answer."""


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or load_api()
    runtime = ServiceRuntime.connect(settings)
    app = create_service_app(
        settings=settings,
        title="Acorn outcomes",
        description=DESCRIPTION,
        blueprints=[indicators.blp, observations.blp, uploads.blp, needs.blp, stories.blp],
        db=runtime.db,
        readiness_checks=runtime.readiness_checks(),
        extension=bootstrap.build(runtime),
    )
    app.extensions["acorn_runtime"] = runtime  # its owner closes runtime.client at shutdown
    _map_errors(app)
    return app


def _map_errors(app: Flask) -> None:
    """The use cases' refusals as problem details, in one place."""

    def simple(status: int) -> Callable[[Exception], Response]:
        return lambda error: problem_response(status, str(error), instance=request.path)

    app.register_error_handler(NotFound, simple(404))
    app.register_error_handler(Forbidden, simple(403))
    app.register_error_handler(Conflict, simple(409))

    @app.errorhandler(Invalid)
    def invalid(error: Invalid) -> Response:
        return problem_response(
            422,
            "The request has invalid fields: " + ", ".join(error.problems),
            instance=request.path,
            errors=[{"field": f, "reason": r} for f, r in error.problems.items()],
        )

    @app.errorhandler(Stale)
    def stale_version(error: Stale) -> Response:
        problem = stale(error.current_version)
        return problem_response(
            problem.status, problem.detail, instance=request.path, headers=problem.headers
        )
