"""The web service's settings, from the environment and validated at start.

The web service keeps nothing: it calls the four services' APIs with the signed-in person's
token. Sign-in is either `development` (a page that mints a token the way `./dev token` does,
for local use only) or `oidc` (OpenID Connect: the identity provider's access token, an RS256 JWT
the APIs already check, is what the pages call the APIs with).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.auth import JwtSettings, jwt_settings_spec, load_jwt_settings
from shared.settings import Setting, SettingsError, load_settings, parse_choice

MIN_SECRET_KEY_LENGTH = 32
SERVICES = ("commissioning", "outcomes", "ledger", "value")
DEFAULT_PORTS = {"commissioning": 8001, "outcomes": 8002, "ledger": 8003, "value": 8004}


def _url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// address")
    return raw.rstrip("/")


def _secret_key(raw: str) -> str:
    if len(raw) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters")
    return raw


def _assets_dir(raw: str) -> Path:
    path = Path(raw)
    if not (path / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.css").is_file():
        raise ValueError("must be the node_modules directory deploy/provision.py installed")
    return path


SPEC: dict[str, Setting] = {
    **{
        f"{service}_url": Setting(
            f"ACORN_WEB_{service.upper()}_URL",
            parse=_url,
            default=f"http://127.0.0.1:{DEFAULT_PORTS[service]}",
        )
        for service in SERVICES
    },
    "assets_dir": Setting("ACORN_WEB_ASSETS_DIR", parse=_assets_dir),
    "secret_key": Setting("ACORN_WEB_SECRET_KEY", parse=_secret_key, secret=True),
    "sign_in": Setting(
        "ACORN_WEB_SIGN_IN", parse=parse_choice("development", "oidc"), default="development"
    ),
    "oidc_metadata_url": Setting("ACORN_WEB_OIDC_METADATA_URL", parse=str, default=""),
    "oidc_client_id": Setting("ACORN_WEB_OIDC_CLIENT_ID", parse=str, default=""),
    "oidc_client_secret": Setting(
        "ACORN_WEB_OIDC_CLIENT_SECRET", parse=str, default="", secret=True
    ),
    "api_timeout_seconds": Setting("ACORN_WEB_API_TIMEOUT_SECONDS", parse=float, default="30"),
    "log_level": Setting(
        "ACORN_LOG_LEVEL", parse=parse_choice("DEBUG", "INFO", "WARNING", "ERROR"), default="INFO"
    ),
}


@dataclass(frozen=True)
class OidcSettings:
    metadata_url: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class WebSettings:
    service_urls: dict[str, str]
    assets_dir: Path
    secret_key: str
    api_timeout_seconds: float
    log_level: str
    # development sign-in mints tokens with these; None under OpenID Connect
    development_jwt: JwtSettings | None = None
    oidc: OidcSettings | None = None


def load(environ: Mapping[str, str] | None = None) -> WebSettings:
    values = load_settings(SPEC, environ)
    common = {
        "service_urls": {service: values[f"{service}_url"] for service in SERVICES},
        "assets_dir": values["assets_dir"],
        "secret_key": values["secret_key"],
        "api_timeout_seconds": values["api_timeout_seconds"],
        "log_level": values["log_level"],
    }
    if values["sign_in"] == "development":
        jwt = load_jwt_settings(load_settings(jwt_settings_spec(), environ))
        if jwt.algorithm != "HS256":
            raise SettingsError("ACORN_WEB_SIGN_IN=development needs ACORN_JWT_ALGORITHM=HS256")
        return WebSettings(**common, development_jwt=jwt)
    missing = [
        env
        for name, env in (
            ("oidc_metadata_url", "ACORN_WEB_OIDC_METADATA_URL"),
            ("oidc_client_id", "ACORN_WEB_OIDC_CLIENT_ID"),
            ("oidc_client_secret", "ACORN_WEB_OIDC_CLIENT_SECRET"),
        )
        if not values[name]
    ]
    if missing:
        raise SettingsError(f"ACORN_WEB_SIGN_IN=oidc needs {', '.join(missing)}")
    oidc = OidcSettings(
        values["oidc_metadata_url"], values["oidc_client_id"], values["oidc_client_secret"]
    )
    return WebSettings(**common, oidc=oidc)
