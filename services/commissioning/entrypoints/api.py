"""The commissioning HTTP API: `create_app(settings=None)`; gunicorn runs
`services.commissioning.entrypoints.api:create_app()` on port 8001.

Domain refusals are mapped to problem details here, in one place: Invalid 422, Conflict 409,
NotFound 404, StaleVersion 412 (with the current ETag).
"""

from __future__ import annotations

from flask import Flask, Response, request

from services.commissioning.bootstrap import bootstrap
from services.commissioning.domain.errors import (
    Conflict,
    Invalid,
    NotFound,
    Refused,
    StaleVersion,
)
from services.commissioning.entrypoints.views import enrolments, interventions, providers
from services.commissioning.settings import load_api
from shared.config import ServiceSettings
from shared.http.app import create_service_app
from shared.http.concurrency import etag
from shared.http.problems import problem_response
from shared.runtime import ServiceRuntime

STATUS = {Invalid: 422, Conflict: 409, NotFound: 404, StaleVersion: 412}


def refused(error: Refused) -> Response:
    status = next(code for kind, code in STATUS.items() if isinstance(error, kind))
    headers = {"ETag": etag(error.current_version)} if isinstance(error, StaleVersion) else None
    return problem_response(
        status,
        error.reason,
        instance=request.path,
        errors=[{"field": error.field, "reason": error.reason}] if error.field else None,
        headers=headers,
    )


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or load_api()
    runtime = ServiceRuntime.connect(settings)
    app = create_service_app(
        settings=settings,
        title="Acorn commissioning",
        description=(
            "Providers, interventions, prices and the children enrolled on them. Money: a field "
            "named `*_pence` takes whole pence as a JSON integer only; pounds go in the field "
            'named `*_pounds` (a decimal string such as "450.00"), never in a `_pence` field.'
        ),
        blueprints=[providers.blp, interventions.blp, enrolments.blp],
        db=runtime.db,
        readiness_checks=runtime.readiness_checks(),
        extension=bootstrap(runtime),
    )
    app.register_error_handler(Refused, refused)
    return app
