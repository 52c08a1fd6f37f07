"""OpenID Connect sign-in (authorisation code flow) against a fake identity provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask

from services.web.entrypoints.views import signin
from services.web.settings import OidcSettings, WebSettings
from shared.auth import mint_token
from tests.support.identity import TEST_JWT
from tests.web import fakes

METADATA = {
    "authorization_endpoint": "https://id.example/authorize",
    "token_endpoint": "https://id.example/token",
}


class FakeIdentityProvider:
    """What `signin` asks of `requests`: the discovery document and the code exchange."""

    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.exchanged: list[dict[str, Any]] = []

    class Answer:
        def __init__(self, body: dict[str, Any], ok: bool = True) -> None:
            self.body, self.ok = body, ok

        def json(self) -> dict[str, Any]:
            return self.body

        def raise_for_status(self) -> None:
            assert self.ok

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.Answer(METADATA)

    def post(
        self, url: str, *, data: dict[str, Any], auth: tuple[str, str], **kwargs: Any
    ) -> Answer:
        self.exchanged.append({"url": url, "data": data, "auth": auth})
        return self.Answer({"access_token": self.access_token}, ok=data["code"] == "good-code")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    from services.web.entrypoints.app import create_app

    settings = WebSettings(
        service_urls={},
        assets_dir=tmp_path,
        secret_key="k" * 40,
        api_timeout_seconds=1,
        log_level="WARNING",
        oidc=OidcSettings("https://id.example/.well-known/openid-configuration", "acorn", "s3"),
    )
    return create_app(
        settings, backends_for=lambda token: fakes.fake_backends(fakes.Calls(), fakes.FakeValue())
    )


def test_the_identity_providers_token_is_what_the_pages_call_the_apis_with(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mint_token(TEST_JWT, roles=["finance"], subject="jo@council.example")
    idp = FakeIdentityProvider(token)
    monkeypatch.setattr(signin, "requests", idp)
    client = app.test_client()

    started = client.get("/sign-in?next=/reports/report-cards")
    location = urlparse(started.headers["Location"])
    query = parse_qs(location.query)
    assert (
        f"{location.scheme}://{location.netloc}{location.path}"
        == METADATA["authorization_endpoint"]
    )
    assert query["client_id"] == ["acorn"] and query["scope"] == ["openid"]

    forged = client.get("/sign-in/callback?code=good-code&state=not-the-one-sent")
    assert forged.status_code == 400

    client.get("/sign-in?next=/reports/report-cards")
    with client.session_transaction() as session:
        state = session["oidc_state"]
    finished = client.get(f"/sign-in/callback?code=good-code&state={state}")
    assert finished.headers["Location"] == "/reports/report-cards"
    assert idp.exchanged[-1]["auth"] == ("acorn", "s3")
    with client.session_transaction() as session:
        assert session["token"] == token and session["roles"] == ["finance"]
