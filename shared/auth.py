"""Bearer JWT verification, roles, and minting development tokens.

Every request carries a JWT checked for signature, issuer, audience, expiry and an allowed
algorithm. Locally tokens are HS256 with a shared secret; in production RS256 with the identity
provider's public key. A provider's identity is the token's `provider_id` claim, never the body.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from shared.settings import Setting, SettingsError, parse_choice

COMMISSIONER = "commissioner"
PROVIDER = "provider"
FINANCE = "finance"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (COMMISSIONER, PROVIDER, FINANCE, AUDITOR, ADMIN)
MIN_SECRET_LENGTH = 32
# A token that lives longer than a working day is a leaked credential waiting to happen.
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600


class AuthError(Exception):
    """The request is not authenticated: no token, or a token that fails a check."""


@dataclass(frozen=True)
class JwtSettings:
    algorithm: str
    issuer: str
    audience: str
    secret: str | None = None
    public_key: str | None = None

    @property
    def verification_key(self) -> str:
        key = self.secret if self.algorithm == "HS256" else self.public_key
        assert key is not None  # guaranteed by load_jwt_settings
        return key


def jwt_settings_spec() -> dict[str, Setting]:
    return {
        "jwt_algorithm": Setting(
            "ACORN_JWT_ALGORITHM", parse=parse_choice("HS256", "RS256"), default="HS256"
        ),
        "jwt_issuer": Setting("ACORN_JWT_ISSUER", default="acorn-dev"),
        "jwt_audience": Setting("ACORN_JWT_AUDIENCE", default="acorn"),
        "jwt_secret": Setting("ACORN_JWT_SECRET", parse=str, default="", secret=True),
        "jwt_public_key_file": Setting("ACORN_JWT_PUBLIC_KEY_FILE", parse=str, default=""),
    }


def load_jwt_settings(values: Mapping[str, Any]) -> JwtSettings:
    algorithm = values["jwt_algorithm"]
    if algorithm == "HS256":
        secret = values["jwt_secret"]
        if len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"ACORN_JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters for HS256"
            )
        return JwtSettings(algorithm, values["jwt_issuer"], values["jwt_audience"], secret=secret)
    key_file = values["jwt_public_key_file"]
    if not key_file or not Path(key_file).is_file():
        raise SettingsError("ACORN_JWT_PUBLIC_KEY_FILE must name a PEM public key file for RS256")
    return JwtSettings(
        algorithm,
        values["jwt_issuer"],
        values["jwt_audience"],
        public_key=Path(key_file).read_text(),
    )


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's subject, its roles and, for providers, the provider id."""

    subject: str
    roles: frozenset[str]
    provider_id: str | None = None

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_provider_only(self) -> bool:
        return self.roles == frozenset({PROVIDER})


def verify_bearer(header: str | None, settings: JwtSettings) -> Caller:
    if not header:
        raise AuthError("missing Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token,
            settings.verification_key,
            algorithms=[settings.algorithm],
            audience=settings.audience,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise AuthError(f"invalid token: {error}") from error
    lifetime = claims["exp"] - claims["iat"]
    if not 0 < lifetime <= MAX_TOKEN_LIFETIME_SECONDS:
        raise AuthError(
            f"invalid token: it must expire within {MAX_TOKEN_LIFETIME_SECONDS // 3600} hours "
            "of being issued"
        )
    roles = claims.get("roles")
    if not isinstance(roles, list) or not roles or not set(roles) <= set(ROLES):
        raise AuthError(f"token roles must be a non-empty list drawn from {', '.join(ROLES)}")
    provider_id = claims.get("provider_id")
    if PROVIDER in roles and not (isinstance(provider_id, str) and provider_id):
        raise AuthError("a provider token must carry a provider_id claim")
    return Caller(subject=claims["sub"], roles=frozenset(roles), provider_id=provider_id)


def mint_token(
    settings: JwtSettings,
    *,
    roles: list[str],
    provider_id: str | None = None,
    subject: str | None = None,
    ttl_seconds: int = 8 * 3600,
    signing_key: str | None = None,
) -> str:
    """A signed token; HS256 signs with the shared secret, RS256 needs `signing_key` (private)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {', '.join(ROLES)}")
    if PROVIDER in roles and not provider_id:
        raise ValueError("a provider token needs a provider id")
    if not 0 < ttl_seconds <= MAX_TOKEN_LIFETIME_SECONDS:
        raise ValueError(f"a token lives at most {MAX_TOKEN_LIFETIME_SECONDS} seconds")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject or f"dev-{roles[0]}-{uuid.uuid4().hex[:8]}",
        "roles": roles,
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if provider_id:
        claims["provider_id"] = provider_id
    key = signing_key or settings.secret
    if key is None:
        raise ValueError("RS256 tokens need the private signing key")
    return jwt.encode(claims, key, algorithm=settings.algorithm)
