"""Optimistic concurrency with ETags: `ETag: "v3"` on reads, `If-Match: "v3"` required on updates.

Two officers editing the same record cannot silently overwrite each other: the second update
names a version that is no longer current and gets 412 Precondition Failed.
"""

from __future__ import annotations

import re

from flask import request

from shared.http.problems import ProblemError

_ETAG = re.compile(r'(?:W/)?"v(\d{1,9})"')

IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": 'The ETag of the version being changed, e.g. "v3".',
    "schema": {"type": "string"},
}


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version() -> int:
    """The version the caller's If-Match names; 428 if absent, 400 if malformed."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ProblemError(
            428,
            "updates need an If-Match header with the ETag of the version being changed",
            errors=[{"field": "If-Match", "reason": "missing"}],
        )
    match = _ETAG.fullmatch(header)
    if not match:
        raise ProblemError(
            400,
            'If-Match must be an ETag such as "v3"',
            errors=[{"field": "If-Match", "reason": "malformed"}],
        )
    return int(match.group(1))


def stale(current_version: int) -> ProblemError:
    return ProblemError(
        412,
        f"the record has changed since you read it (now version {current_version}); "
        "read it again and reapply your change",
        headers={"ETag": etag(current_version)},
    )
