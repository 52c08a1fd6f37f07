"""Signing in and out.

Development: a page, clearly marked, where anyone chooses a role (and, as a provider, which
provider) and gets a token minted exactly as `./dev token` mints one. Production: OpenID Connect
(authorisation code flow); the identity provider's access token, a JWT the APIs verify with its
public key (`ACORN_JWT_ALGORITHM=RS256`), is the token the pages call the APIs with. Its claims
are read here only to choose what to show: the APIs check every call.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from services.web.entrypoints.forms import FormErrors
from services.web.entrypoints.session import sign_in as remember
from services.web.settings import OidcSettings
from shared.auth import ADMIN, PROVIDER, ROLES, mint_token

blp = Blueprint("signin", __name__)

ROLE_HINTS = {
    "commissioner": "Commissioning officer: providers, interventions, enrolments and the reports",
    "finance": "Finance officer: the cost ledger and the reports",
    "provider": "A provider's staff: its children, their readings and its invoices",
    "auditor": "Auditor: reads everything",
    "admin": "Administrator",
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another site's address) is followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@blp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    settings = current_app.extensions["acorn_web"].settings
    if settings.oidc is not None:
        return _oidc_start(settings.oidc)
    jwt_settings = settings.development_jwt
    next_page = _safe_next(request.values.get("next"))
    errors = FormErrors()
    form = request.form
    if request.method == "POST":
        role = form.get("role", "")
        provider_id = form.get("provider_id", "") or None
        if role not in ROLES:
            errors.add("role", "Select the role you want to sign in as")
        elif role == PROVIDER and not provider_id:
            errors.add("provider_id", "Select which provider you work for")
        if not errors:
            subject = f"dev-{role}"
            token = mint_token(
                jwt_settings,
                roles=[role],
                provider_id=provider_id if role == PROVIDER else None,
                subject=subject,
            )
            remember(
                token=token,
                subject=subject,
                roles=[role],
                provider_id=provider_id if role == PROVIDER else None,
            )
            return redirect(next_page)
    # the development page lists providers with a token of its own, as ./dev token would
    admin_token = mint_token(jwt_settings, roles=[ADMIN], subject="dev-web-sign-in")
    providers = current_app.extensions["acorn_web"].backends_for(admin_token).commissioning
    return render_template(
        "signin/development.html",
        errors=errors,
        form=form,
        roles=ROLES,
        hints=ROLE_HINTS,
        providers=providers.providers(),
        next_page=next_page,
    ), (400 if errors else 200)


@blp.post("/sign-out")
def sign_out() -> Response:
    session.clear()
    return redirect(url_for("signin.sign_in"))


def _metadata(oidc: OidcSettings) -> dict[str, Any]:
    answer = requests.get(oidc.metadata_url, timeout=10)
    answer.raise_for_status()
    metadata: dict[str, Any] = answer.json()
    return metadata


def _oidc_start(oidc: OidcSettings) -> Response:
    state = secrets.token_urlsafe(24)
    session["oidc_state"] = state
    session["oidc_next"] = _safe_next(request.values.get("next"))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": oidc.client_id,
            "redirect_uri": url_for("signin.oidc_callback", _external=True),
            "scope": "openid",
            "state": state,
        }
    )
    return redirect(f"{_metadata(oidc)['authorization_endpoint']}?{query}")


@blp.get("/sign-in/callback")
def oidc_callback() -> Response:
    oidc = current_app.extensions["acorn_web"].settings.oidc
    if oidc is None:
        abort(404)
    expected = session.pop("oidc_state", None)
    if not expected or not secrets.compare_digest(request.args.get("state", ""), expected):
        abort(400, "The sign-in was not started here, or has expired. Sign in again.")
    answer = requests.post(
        _metadata(oidc)["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": request.args.get("code", ""),
            "redirect_uri": url_for("signin.oidc_callback", _external=True),
        },
        auth=(oidc.client_id, oidc.client_secret),
        timeout=10,
    )
    if not answer.ok:
        abort(400, "The identity provider refused the sign-in. Sign in again.")
    token = answer.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})  # shown only; APIs verify
    next_page = session.pop("oidc_next", url_for("home.index"))
    remember(
        token=token,
        subject=str(claims.get("sub", "")),
        roles=[role for role in claims.get("roles", []) if role in ROLES],
        provider_id=claims.get("provider_id"),
    )
    return redirect(next_page)
