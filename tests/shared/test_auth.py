import time

import jwt
import pytest

from shared.auth import AuthError, JwtSettings, mint_token, verify_bearer

SETTINGS = JwtSettings(algorithm="HS256", issuer="acorn-test", audience="acorn", secret="k" * 64)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_valid_token_gives_roles_and_provider_from_the_token() -> None:
    caller = verify_bearer(
        bearer(mint_token(SETTINGS, roles=["provider"], provider_id="p-9")), SETTINGS
    )
    assert caller.roles == {"provider"}
    assert caller.provider_id == "p-9"
    assert caller.is_provider_only


def claims(expires_in: int = 60, **overrides: object) -> dict:
    """Claims made when the test runs, not when it is collected (a long run outlives 60 s)."""
    now = int(time.time())
    base = {
        "sub": "u",
        "roles": ["finance"],
        "iss": "acorn-test",
        "aud": "acorn",
        "iat": now,
        "exp": now + expires_in,
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    ("token_claims", "key", "algorithm", "reason"),
    [
        ({"expires_in": -10}, "k" * 64, "HS256", "expired"),
        ({"iss": "someone-else"}, "k" * 64, "HS256", "issuer"),
        ({"aud": "other"}, "k" * 64, "HS256", "audience"),
        ({}, "wrong" * 10, "HS256", "Signature"),
        ({}, "k" * 64, "HS512", "alg value is not allowed"),
        ({"roles": ["pirate"]}, "k" * 64, "HS256", "roles"),
        ({"roles": ["provider"]}, "k" * 64, "HS256", "provider_id"),
    ],
)
def test_refuses_bad_tokens(token_claims: dict, key: str, algorithm: str, reason: str) -> None:
    token = jwt.encode(claims(**token_claims), key, algorithm=algorithm)
    with pytest.raises(AuthError, match=f"(?i){reason}"):
        verify_bearer(bearer(token), SETTINGS)


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(AuthError):
        verify_bearer(bearer(token), SETTINGS)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer"])
def test_missing_or_malformed_header(header: str | None) -> None:
    with pytest.raises(AuthError):
        verify_bearer(header, SETTINGS)
