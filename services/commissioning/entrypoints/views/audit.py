"""/audit: who changed what, for auditors and admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.commissioning.entrypoints.views import schemas
from services.commissioning.entrypoints.views.common import app_services, problems
from shared.auth import ADMIN, AUDITOR
from shared.http.paging import PageArgs
from shared.http.security import require_role

blp = Blueprint("audit", __name__, url_prefix="/audit", description="The audit trail of writes.")


@blp.route("")
class AuditTrail(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, schemas.AuditPage)
    @problems(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every write, newest first."""
        require_role(AUDITOR, ADMIN)
        log = app_services().runtime.audit
        size = args["page_size"]
        return {
            "items": log.list(limit=size, skip=(args["page"] - 1) * size),
            "page": args["page"],
            "page_size": size,
            "total": log.collection.count_documents({}),
        }
