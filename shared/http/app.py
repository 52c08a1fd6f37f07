"""The Flask application every service is built on.

`create_service_app` wires what all four services share: JWT authentication, problem-details
errors, correlation ids and JSON request logs, `/healthz`, `/readyz`, Prometheus `/metrics`,
OpenAPI at `/openapi.json` with interactive docs at `/docs`, and the idempotency store. The service
adds its blueprints and puts its own dependencies in `app.extensions["acorn"]`. Nothing connects
at import or creation time: the database client and broker connect on first use.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import flask_swagger_ui
import orjson
from flask import Flask, Response, g, jsonify, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pymongo.database import Database
from werkzeug.exceptions import HTTPException

from shared.audit import AuditLog
from shared.config import ServiceSettings
from shared.fields import Pence, Pounds
from shared.http import audit
from shared.http.blueprint import Blueprint
from shared.http.idempotency import IdempotencyStore
from shared.http.limits import DEFAULT_MAX_BODY_BYTES, check_json_body
from shared.http.openapi import AcornOpenApi, register_problem_responses
from shared.http.paging import add_paging_links
from shared.http.problems import ProblemError, ProblemSchema, from_http_exception, problem_response
from shared.http.security import authenticate_request
from shared.logs import current_correlation_id, log_fields, new_correlation_id, set_correlation_id

logger = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
DOCS_ASSETS_PATH = "/docs/assets"
# Swagger UI's files as flask-swagger-ui ships them (we use its files, not its blueprint)
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
ReadinessCheck = Callable[[], None]


class AcornApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, answering every error with RFC 9457 problem details and documenting
    them so (shared/http/openapi.py)."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        super().__init__(app, spec_kwargs={"extra_plugins": [AcornOpenApi()]})
        self.register_field(Pence, "integer", None)
        self.register_field(Pounds, "string", "decimal")

    def _register_responses(self) -> None:
        register_problem_responses(self.spec, self.ERROR_SCHEMA)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return from_http_exception(error, request.path)


class CachedCheck:
    """Runs a costly readiness check at most once per `ttl` seconds."""

    def __init__(self, check: ReadinessCheck, ttl: float = 5.0) -> None:
        self.check = check
        self.ttl = ttl
        self._ok_until = 0.0

    def __call__(self) -> None:
        if time.monotonic() < self._ok_until:
            return
        self.check()
        self._ok_until = time.monotonic() + self.ttl


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON, written by orjson (in C, as every event already is): the same document as
    Flask's own provider (keys sorted, dates, decimals and dataclasses as Flask writes them),
    some ten times faster. A county's report card is ~2 MB of JSON, ~35 ms with the standard
    library."""

    OPTIONS = (
        orjson.OPT_SORT_KEYS
        | orjson.OPT_NON_STR_KEYS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return self._bytes(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        # orjson refuses what the standard library would crash or wander on (lone surrogates,
        # NaN, 1,000-deep nesting that exhausts the stack); its errors are ValueErrors, which
        # Flask turns into 400.
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        body = self._bytes(self._prepare_response_obj(args, kwargs))
        return self._app.response_class(body, mimetype=self.mimetype)

    def _bytes(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=self.default, option=self.OPTIONS)


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    blueprints: Iterable[Blueprint],
    db: Database[dict[str, Any]],
    readiness_checks: dict[str, ReadinessCheck],
    extension: Any,
) -> Flask:
    app = Flask(settings.service)
    app.json = OrjsonProvider(app)
    app.config.update(
        API_TITLE=title,
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # served from the installed package, so /docs works on a council network with no internet
        OPENAPI_SWAGGER_UI_URL=f"{DOCS_ASSETS_PATH}/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearer": []}],
        },
        ACORN_JWT=settings.api_jwt,
        MAX_CONTENT_LENGTH=DEFAULT_MAX_BODY_BYTES,
    )
    app.extensions["acorn"] = extension
    app.extensions["acorn_idempotency"] = IdempotencyStore(db, settings.idempotency_lease_s)
    app.extensions["acorn_audit"] = AuditLog(db)
    api = AcornApi(app)
    for blueprint in [*blueprints, audit.blp]:
        api.register_blueprint(blueprint)
    _install_request_hooks(app)
    _install_probes(app, readiness_checks)
    _install_docs_assets(app)
    app.register_error_handler(ProblemError, _problem_error)
    return app


def _problem_error(error: ProblemError) -> Response:
    return problem_response(
        error.status,
        error.detail,
        title=error.title,
        instance=request.path,
        errors=error.errors,
        headers=error.headers,
        **error.extensions,
    )


def _install_request_hooks(app: Flask) -> None:
    registry = CollectorRegistry()
    requests_total = Counter(
        "http_requests_total",
        "HTTP requests answered",
        ["method", "endpoint", "status"],
        registry=registry,
    )
    latency = Histogram(
        "http_request_duration_seconds",
        "Time to answer HTTP requests",
        ["method", "endpoint"],
        registry=registry,
    )
    app.extensions["acorn_metrics"] = registry

    @app.before_request
    def start_request() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get(CORRELATION_HEADER, "")
        set_correlation_id(incoming if _CORRELATION_ID.match(incoming) else new_correlation_id())
        authenticate_request()
        check_json_body()

    app.after_request(add_paging_links)

    @app.after_request
    def finish_request(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        requests_total.labels(request.method, endpoint, str(response.status_code)).inc()
        latency.labels(request.method, endpoint).observe(elapsed)
        response.headers[CORRELATION_HEADER] = current_correlation_id()
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response = _conditional(response)
        if endpoint not in ("/metrics", "/healthz", "/readyz"):
            logger.info(
                "request",
                extra=log_fields(
                    method=request.method,
                    path=endpoint,
                    status=response.status_code,
                    ms=round(elapsed * 1000, 1),
                ),
            )
        return response


def _conditional(response: Response) -> Response:
    """An ETag on every read (a record's version where the view set one, else the body's
    digest), and 304 Not Modified when the caller's If-None-Match already names it."""
    if response.direct_passthrough:  # a file being sent: Flask has made it conditional already
        return response
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)


def _install_docs_assets(app: Flask) -> None:
    @app.get(f"{DOCS_ASSETS_PATH}/<path:name>")
    def docs_asset(name: str) -> Response:
        return send_from_directory(SWAGGER_UI_DIST, name, max_age=86_400)


def _install_probes(app: Flask, readiness_checks: dict[str, ReadinessCheck]) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        failures = {}
        for name, check in readiness_checks.items():
            try:
                check()
            except Exception as error:
                failures[name] = f"{type(error).__name__}: {error}"
        if failures:
            return jsonify(status="unavailable", failures=failures), 503
        return jsonify(status="ready", checks=sorted(readiness_checks)), 200

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(
            generate_latest(app.extensions["acorn_metrics"]), mimetype=CONTENT_TYPE_LATEST
        )
