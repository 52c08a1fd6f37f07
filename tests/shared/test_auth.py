import time
from pathlib import Path

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


def test_rs256_tokens_verify_with_the_public_key_only(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from shared.auth import jwt_settings_spec, load_jwt_settings
    from shared.settings import load_settings

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "idp.pem"
    key_file.write_bytes(pem)
    settings = load_jwt_settings(
        load_settings(
            jwt_settings_spec(),
            {"ACORN_JWT_ALGORITHM": "RS256", "ACORN_JWT_PUBLIC_KEY_FILE": str(key_file)},
        )
    )
    signing_key = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    token = mint_token(settings, roles=["auditor"], signing_key=signing_key)
    assert verify_bearer(bearer(token), settings).roles == {"auditor"}
    forged = jwt.encode(claims(iss="acorn-dev"), "k" * 64, algorithm="HS256")
    with pytest.raises(AuthError):  # an HS256 token signed with a guessed secret is refused
        verify_bearer(bearer(forged), settings)
