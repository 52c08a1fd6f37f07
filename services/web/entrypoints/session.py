"""Who is signed in, what they may see, and the forms' protection against cross-site posts.

The signed-in person's token lives in Flask's signed session cookie (HttpOnly, SameSite=Lax);
the web service keeps no other state. A POST must carry the session's CSRF token.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from services.web.adapters.api import Backends
from services.web.domain.access import may

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class User:
    subject: str
    roles: frozenset[str]
    provider_id: str | None
    token: str

    @property
    def role_names(self) -> str:
        return ", ".join(sorted(self.roles))


def sign_in(*, token: str, subject: str, roles: list[str], provider_id: str | None) -> None:
    session.clear()
    session.update(token=token, subject=subject, roles=roles, provider_id=provider_id)


def current_user() -> User | None:
    if "token" not in session:
        return None
    return User(
        subject=session["subject"],
        roles=frozenset(session["roles"]),
        provider_id=session.get("provider_id"),
        token=session["token"],
    )


def backends() -> Backends:
    """The four services, called as the signed-in person."""
    if "backends" not in g:
        g.backends = current_app.extensions["acorn_web"].backends_for(g.user.token)
    return g.backends


def signed_in(allowed: frozenset[str]) -> Callable[[View], View]:
    """A page for these roles: others are sent to sign in, or shown 403."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                return redirect(url_for("signin.sign_in", next=request.full_path))
            if not may(g.user.roles, allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, "This form has expired. Go back, reload the page and try again.")
