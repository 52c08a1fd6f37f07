"""What every commissioning view shares: who may read what, audit, and documented errors.

Roles: commissioners write; finance, auditors and admins read everything; a provider reads only
its own provider record, interventions and enrolments. Another provider's record answers 404, as
if it did not exist (never 403, which would confirm that the id exists), and lists leave it out.
Any write by a role other than commissioner answers 403. Every successful write leaves one
audit record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from services.commissioning.bootstrap import Commissioning
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, FINANCE, PROVIDER, Caller
from shared.http.blueprint import Blueprint
from shared.http.problems import ProblemSchema
from shared.http.security import require_role

OFFICIALS = (COMMISSIONER, FINANCE, AUDITOR, ADMIN)
ERROR_DESCRIPTIONS = {
    400: "A required header is missing or malformed",
    403: "The caller's role may not do this",
    404: "No such record, or none the caller may see",
    409: "The record's current state refuses the change; `detail` says why",
    412: "If-Match names a version that is no longer current",
    422: "Invalid fields (named in `errors`), or an Idempotency-Key reused for another request",
    428: "If-Match is required",
}


def app_services() -> Commissioning:
    services: Commissioning = current_app.extensions["acorn"]
    return services


def reader_scope() -> str | None:
    """None for officials (everything); a provider's own id for a provider (only its records)."""
    caller = require_role(*OFFICIALS, PROVIDER)
    return None if caller.has_any(*OFFICIALS) else caller.provider_id


def commissioner() -> Caller:
    return require_role(COMMISSIONER)


def audit(caller: Caller, action: str, subject: str, **detail: Any) -> None:
    app_services().runtime.audit.record(caller, action, subject, detail=detail)


def problems(blp: Blueprint, *codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the problem responses a view can answer with."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for code in codes:
            view = blp.alt_response(
                code, schema=ProblemSchema, description=ERROR_DESCRIPTIONS[code]
            )(view)
        return view

    return decorate
