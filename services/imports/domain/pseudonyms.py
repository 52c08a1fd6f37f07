"""Keyed pseudonyms: a council's own child identifier becomes a `child_ref` no one can reverse.

HMAC-SHA256 under the council's secret: the same child always gets the same reference (so next
year's return finds this year's child), and without the secret nobody can go back from the
reference to the identifier, nor test a guessed identifier against it (as they could a plain
hash of a six-digit number).
"""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_LENGTH = 32
PREFIX = "c"  # a child reference starts with a letter or digit; this says what it is
DIGEST_CHARACTERS = 32  # 128 bits: no two children of any council collide


class PseudonymKeyError(ValueError):
    pass


def check_key(key: str) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(f"must be at least {MIN_KEY_LENGTH} characters")


def child_ref(key: str, identifier: str) -> str:
    """The pseudonymous reference of the council's `identifier` for a child."""
    digest = hmac.new(key.encode(), identifier.strip().encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX}{digest[:DIGEST_CHARACTERS]}"
