"""The outcome framework: `/indicators`.

Everyone signed in may read the framework; commissioners and admins add, version and retire
indicators. Versioning and retiring need `If-Match` with the indicator's ETag. When more active
indicators exist than the guardrail (`ACORN_OUTCOMES_INDICATOR_GUARDRAIL`, default 20), list and
change responses carry `guardrail.warning`: too many indicators hide the ones that matter.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from services.outcomes.domain.indicators import AgeBand, Indicator
from services.outcomes.entrypoints.schemas import (
    IndicatorChangeSchema,
    IndicatorDefinitionSchema,
    IndicatorDetailSchema,
    IndicatorListArgs,
    IndicatorListSchema,
    NewIndicatorSchema,
)
from services.outcomes.entrypoints.views import outcomes
from services.outcomes.service_layer import indicators as handlers
from services.outcomes.service_layer.commands import AddIndicator, RetireIndicator, VersionIndicator
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, FINANCE, PROVIDER, ROLES
from shared.http.blueprint import Blueprint
from shared.http.concurrency import IF_MATCH_DOC, etag, expected_version
from shared.http.idempotency import idempotent
from shared.http.security import require_role

blp = Blueprint(
    "indicators",
    __name__,
    url_prefix="/indicators",
    description=__doc__,
)
EDITORS = (COMMISSIONER, ADMIN)
READERS = (COMMISSIONER, ADMIN, PROVIDER, FINANCE, AUDITOR)
assert set(READERS) == set(ROLES)


def _indicator(data: dict[str, Any], **fixed: Any) -> Indicator:
    fields = {k: v for k, v in data.items() if k not in ("age_band", "sources")}
    band = data.get("age_band")
    return Indicator(
        **fields,
        **fixed,
        age_band=AgeBand(**band) if band else None,
        sources=tuple(data.get("sources", ())),
    )


def _view(indicator: Indicator) -> dict[str, Any]:
    return asdict(indicator)


def _change(indicator: Indicator) -> tuple[dict[str, Any], int, dict[str, str]]:
    guardrail = handlers.guardrail(outcomes())
    body = {"indicator": _view(indicator), "guardrail": _guardrail(guardrail)}
    return body, 200, {"ETag": etag(indicator.version)}


def _guardrail(guardrail: Any) -> dict[str, Any]:
    return {"active": guardrail.active, "limit": guardrail.limit, "warning": guardrail.warning}


@blp.route("")
class Indicators(MethodView):
    @blp.arguments(IndicatorListArgs, location="query")
    @blp.response(200, IndicatorListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The framework, by code, with the guardrail on active indicators."""
        require_role(*READERS)
        ctx = outcomes()
        items = handlers.list_indicators(ctx, status=args.get("status"))
        return {
            "items": [_view(i) for i in items],
            "guardrail": _guardrail(handlers.guardrail(ctx)),
        }

    @idempotent
    @blp.arguments(NewIndicatorSchema)
    @blp.response(201, IndicatorChangeSchema)
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Add an indicator to the framework (commissioner, admin)."""
        actor = require_role(*EDITORS)
        indicator = handlers.add_indicator(
            AddIndicator(actor=actor, indicator=_indicator(data)), ctx=outcomes()
        )
        body, _, headers = _change(indicator)
        return body, 201, {**headers, "Location": f"/indicators/{indicator.code}"}


@blp.route("/<code>")
class IndicatorItem(MethodView):
    @blp.response(200, IndicatorDetailSchema)
    def get(self, code: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """One indicator with its earlier versions; its ETag names the current version."""
        require_role(*READERS)
        indicator, history = handlers.get_indicator(code, ctx=outcomes())
        body = _view(indicator) | {"history": [_view(old) for old in history]}
        return body, 200, {"ETag": etag(indicator.version)}

    @idempotent
    @blp.arguments(IndicatorDefinitionSchema)
    @blp.response(200, IndicatorChangeSchema)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def put(self, data: dict[str, Any], code: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Publish a new version of an indicator's definition (commissioner, admin)."""
        actor = require_role(*EDITORS)
        placeholder = {"code": code, "introduced_on": None}
        command = VersionIndicator(
            actor=actor,
            code=code,
            expected_version=expected_version(),
            definition=_indicator(data, **placeholder),
        )
        return _change(handlers.version_indicator(command, ctx=outcomes()))


@blp.route("/<code>/retirement")
class IndicatorRetirement(MethodView):
    @idempotent
    @blp.response(200, IndicatorChangeSchema)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def post(self, code: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Retire an indicator: it keeps its history and takes no new observations."""
        actor = require_role(*EDITORS)
        command = RetireIndicator(actor=actor, code=code, expected_version=expected_version())
        return _change(handlers.retire_indicator(command, ctx=outcomes()))
