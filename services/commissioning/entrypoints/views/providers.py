"""/providers: register, read, list and update the organisations that deliver interventions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.commissioning.domain import commands
from services.commissioning.domain.model import Provider
from services.commissioning.entrypoints.views import schemas
from services.commissioning.entrypoints.views.common import (
    app_services,
    audit,
    commissioner,
    problems,
    reader_scope,
)
from services.commissioning.service_layer import handlers, queries
from shared.http.blueprint import Blueprint
from shared.http.concurrency import IF_MATCH_DOC, etag, expected_version
from shared.http.idempotency import idempotent
from shared.http.paging import paginate

blp = Blueprint(
    "providers", __name__, url_prefix="/providers", description="Who delivers interventions."
)

Answer = tuple[Provider, int, dict[str, str]]


def _answer(provider: Provider, status: int = 200) -> Answer:
    headers = {"ETag": etag(provider.version)}
    if status == 201:
        headers["Location"] = f"/providers/{provider.provider_id}"
    return provider, status, headers


@blp.route("")
class Providers(MethodView):
    @blp.arguments(schemas.ProviderQuery, location="query")
    @blp.response(200, schemas.ProviderPage)
    @problems(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List providers (a provider sees only itself)."""
        found = queries.list_providers(
            scope=reader_scope(),
            providers=app_services().providers,
            kind=args.get("kind"),
            status=args.get("status"),
        )
        return paginate(found, args)

    @idempotent
    @blp.arguments(schemas.ProviderCreate)
    @blp.response(201, schemas.ProviderOut)
    @problems(blp, 400, 403)
    def post(self, data: dict[str, Any]) -> Answer:
        """Register a provider. Its id is the `provider_id` claim of its tokens."""
        caller = commissioner()
        provider = handlers.register_provider(
            commands.RegisterProvider(**data), providers=app_services().providers
        )
        audit(caller, "provider.register", provider.provider_id)
        return _answer(provider, 201)


@blp.route("/<provider_id>")
class ProviderById(MethodView):
    @blp.response(200, schemas.ProviderOut)
    @problems(blp, 403, 404)
    def get(self, provider_id: str) -> Answer:
        """Read one provider, with its ETag."""
        return _answer(
            queries.get_provider(
                provider_id, scope=reader_scope(), providers=app_services().providers
            )
        )

    @idempotent
    @blp.arguments(schemas.ProviderChange)
    @blp.response(200, schemas.ProviderOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, 400, 403, 404, 412, 428)
    def patch(self, data: dict[str, Any], provider_id: str) -> Answer:
        """Change a provider's name, kind, Ofsted URN or status."""
        caller = commissioner()
        provider = handlers.update_provider(
            commands.UpdateProvider(provider_id, expected_version(), data),
            providers=app_services().providers,
        )
        audit(caller, "provider.update", provider_id, changed=sorted(data))
        return _answer(provider)
