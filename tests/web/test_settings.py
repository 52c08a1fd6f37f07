"""The web service stops at start with a message naming each bad or missing setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.web import settings
from shared.settings import SettingsError


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    css = tmp_path / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.css"
    css.parent.mkdir(parents=True)
    css.write_text("")
    return tmp_path


def test_development_sign_in_needs_the_secret_it_mints_tokens_with(assets: Path) -> None:
    environ = {"ACORN_WEB_ASSETS_DIR": str(assets), "ACORN_WEB_SECRET_KEY": "s" * 40}
    with pytest.raises(SettingsError, match="ACORN_JWT_SECRET"):
        settings.load(environ)
    loaded = settings.load({**environ, "ACORN_JWT_SECRET": "j" * 40})
    assert loaded.development_jwt is not None and loaded.oidc is None
    assert loaded.service_urls["value"] == "http://127.0.0.1:8004"


def test_every_bad_setting_is_named_at_once(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        settings.load({"ACORN_WEB_ASSETS_DIR": str(tmp_path), "ACORN_WEB_VALUE_URL": "value:8004"})
    for name in ("ACORN_WEB_ASSETS_DIR", "ACORN_WEB_SECRET_KEY", "ACORN_WEB_VALUE_URL"):
        assert name in str(error.value)


def test_openid_connect_needs_its_provider_and_client(assets: Path) -> None:
    environ = {
        "ACORN_WEB_ASSETS_DIR": str(assets),
        "ACORN_WEB_SECRET_KEY": "s" * 40,
        "ACORN_WEB_SIGN_IN": "oidc",
    }
    with pytest.raises(SettingsError, match="ACORN_WEB_OIDC_METADATA_URL"):
        settings.load(environ)
    loaded = settings.load(
        {
            **environ,
            "ACORN_WEB_OIDC_METADATA_URL": "https://id.example/.well-known/openid-configuration",
            "ACORN_WEB_OIDC_CLIENT_ID": "acorn",
            "ACORN_WEB_OIDC_CLIENT_SECRET": "x",
        }
    )
    assert loaded.oidc is not None and loaded.development_jwt is None
