"""The web application: `create_app(settings=None, backends_for=None)`; nothing connects at import.

`backends_for(token)` returns the four API clients acting as that person; unit tests pass a fake.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, g, render_template, request, session
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from services.web import settings as web_settings
from services.web.adapters.api import ApiError, Backends, HttpBackends
from services.web.domain.access import navigation
from services.web.entrypoints import session as web_session
from services.web.entrypoints.views import (
    assets,
    commissioning,
    finance,
    home,
    provider,
    records,
    reports,
    signin,
)
from services.web.settings import WebSettings
from shared.logs import configure_logging, log_fields, set_correlation_id
from shared.money import format_pounds

log = logging.getLogger("acorn.web")


@dataclass
class WebContext:
    settings: WebSettings
    backends_for: Callable[[str], Backends]


def create_app(
    settings: WebSettings | None = None, backends_for: Callable[[str], Backends] | None = None
) -> Flask:
    settings = settings or web_settings.load()
    configure_logging("web", settings.log_level)
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("services.web", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="acorn_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),  # the development tokens' lifetime
    )
    app.extensions["acorn_web"] = WebContext(
        settings, backends_for or HttpBackends(settings.service_urls, settings.api_timeout_seconds)
    )
    for module in (assets, signin, home, reports, finance, records, commissioning, provider):
        app.register_blueprint(module.blp)
    _install_hooks(app)
    return app


def _install_hooks(app: Flask) -> None:
    @app.before_request
    def identify() -> None:
        set_correlation_id(request.headers.get("X-Correlation-ID") or str(uuid.uuid4()))
        g.started = time.perf_counter()
        g.user = web_session.current_user()
        web_session.check_csrf()

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers["Server-Timing"] = (
            f"app;dur={(time.perf_counter() - g.started) * 1000:.1f}"
        )
        return response

    @app.context_processor
    def page_context() -> dict[str, Any]:
        user = g.get("user")
        return {
            "user": user,
            "nav": navigation(user.roles) if user else [],
            "csrf_token": web_session.csrf_token,
            "development_sign_in": app.extensions["acorn_web"].settings.development_jwt is not None,
        }

    app.jinja_env.filters["pounds"] = lambda pence: "" if pence is None else format_pounds(pence)
    app.jinja_env.filters["label"] = lambda code: (code or "").replace("_", " ").capitalize()

    @app.errorhandler(ApiError)
    def api_refused(error: ApiError) -> Any:
        if error.status == 401:  # the token expired or was revoked: sign in again
            session.clear()
        # the route template, never the path: a path may hold a child's reference
        route = request.url_rule.rule if request.url_rule else "unmatched"
        log.warning("api refused", extra=log_fields(status=error.status, route=route))
        status = error.status if error.status in (401, 403, 404) else 502
        return render_template("error.html", status=status, error=error), status

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    def client_error(error: Any) -> Any:
        return render_template("error.html", status=error.code, error=error), error.code

    @app.errorhandler(500)
    def server_error(error: Any) -> Any:
        return render_template("error.html", status=500, error=error), 500
