"""Authentication on every request, and role checks inside views."""

from __future__ import annotations

from flask import current_app, g, request

from shared.auth import AuthError, Caller, JwtSettings, verify_bearer
from shared.http.problems import ProblemError

# Probes, metrics and API docs are open: they reveal nothing about children or money.
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")


def authenticate_request() -> None:
    if request.path.startswith(PUBLIC_PATHS) or request.method == "OPTIONS":
        return
    settings: JwtSettings = current_app.config["ACORN_JWT"]
    try:
        g.caller = verify_bearer(request.headers.get("Authorization"), settings)
    except AuthError as error:
        raise ProblemError(
            401, str(error), headers={"WWW-Authenticate": 'Bearer realm="acorn"'}
        ) from error


def current_caller() -> Caller:
    caller: Caller = g.caller
    return caller


def require_role(*roles: str) -> Caller:
    """The caller, if it holds one of `roles`; otherwise 403."""
    caller = current_caller()
    if not caller.has_any(*roles):
        raise ProblemError(403, f"this action needs one of the roles: {', '.join(roles)}")
    return caller
