"""Test identities and names: the JWT settings tests sign with, and unique resource names."""

from __future__ import annotations

import uuid

from shared.auth import JwtSettings

TEST_JWT = JwtSettings(algorithm="HS256", issuer="acorn-test", audience="acorn", secret="t" * 48)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
