"""`GET /audit`: the audit trail of a service's writes, for auditors and admins.

Every service gets this endpoint from `create_service_app`; the records are written by each
service's handlers through `shared.audit.AuditLog`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from shared.audit import AuditLog
from shared.auth import ADMIN, AUDITOR
from shared.http.blueprint import Blueprint
from shared.http.paging import PageArgs, page_schema
from shared.http.problems import ProblemSchema
from shared.http.security import require_role

blp = Blueprint("audit", __name__, url_prefix="/audit", description="The audit trail of writes.")


class AuditRecordSchema(Schema):
    id = fields.String()
    actor = fields.String()
    roles = fields.List(fields.String())
    provider_id = fields.String(allow_none=True)
    action = fields.String()
    subject = fields.String()
    outcome = fields.String()
    correlation_id = fields.String()
    at = fields.DateTime()
    detail = fields.Dict()


@blp.route("")
class AuditTrail(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(AuditRecordSchema))
    @blp.alt_response(403, schema=ProblemSchema, description="Only auditors and admins")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every write, newest first."""
        require_role(AUDITOR, ADMIN)
        log: AuditLog = current_app.extensions["acorn_audit"]
        size = args["page_size"]
        return {
            "items": log.list(limit=size, skip=(args["page"] - 1) * size),
            "page": args["page"],
            "page_size": size,
            "total": log.count(),
        }
