"""`Idempotency-Key` on every write, scoped to the caller.

The same key with the same request returns the first response; the same key with a different
request is refused (422). Claiming a key is an insert under the unique `_id` (caller + key), so two
concurrent requests with one key cannot both run: the second sees the claim and gets 409 until the
first finishes. Only successful responses are kept; a refused or failed request releases its key
so the caller can correct the request and send it again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.http.problems import ProblemError
from shared.http.security import current_caller

HEADER = "Idempotency-Key"
COLLECTION = "idempotency_keys"
MAX_KEY_LENGTH = 200

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "description": "Unique per intended write, chosen by the caller; a retry reuses it.",
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
}


def request_fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps(
        {
            "method": request.method,
            "path": request.path,
            "query": sorted(request.args.items(multi=True)),
            "body": body if body is not None else request.get_data(as_text=True),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.collection = db[COLLECTION]

    def claim(self, scope: str, key: str, fingerprint: str) -> Response | None:
        """Claim `key` for this request, or return the stored response of its first use."""
        record_id = f"{scope}\x1f{key}"
        try:
            self.collection.insert_one(
                {
                    "_id": record_id,
                    "fingerprint": fingerprint,
                    "state": "pending",
                    "claimed_at": datetime.now(UTC),
                }
            )
            return None
        except DuplicateKeyError:
            existing = self.collection.find_one({"_id": record_id})
        if existing is None:  # released between our insert and read: try once more
            return self.claim(scope, key, fingerprint)
        if existing["fingerprint"] != fingerprint:
            raise ProblemError(
                422,
                f"{HEADER} {key!r} was already used for a different request",
                errors=[{"field": HEADER, "reason": "reused with a different request"}],
            )
        if existing["state"] == "pending":
            raise ProblemError(409, f"a request with {HEADER} {key!r} is still in progress")
        stored = Response(
            existing["body"], status=existing["status"], mimetype=existing["mimetype"]
        )
        for name, value in existing.get("headers", {}).items():
            stored.headers[name] = value
        stored.headers["Idempotent-Replayed"] = "true"
        return stored

    def complete(self, scope: str, key: str, response: Response) -> None:
        kept_headers = {
            name: value for name, value in response.headers.items() if name in ("Location", "ETag")
        }
        self.collection.update_one(
            {"_id": f"{scope}\x1f{key}"},
            {
                "$set": {
                    "state": "done",
                    "status": response.status_code,
                    "mimetype": response.mimetype,
                    "body": response.get_data(as_text=True),
                    "headers": kept_headers,
                }
            },
        )

    def release(self, scope: str, key: str) -> None:
        self.collection.delete_one({"_id": f"{scope}\x1f{key}"})


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a write view (outermost, above flask-smorest's decorators)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ProblemError(
                400,
                f"every write needs an {HEADER} header of 1-{MAX_KEY_LENGTH} characters",
                errors=[{"field": HEADER, "reason": "missing or too long"}],
            )
        store: IdempotencyStore = current_app.extensions["acorn_idempotency"]
        scope = current_caller().subject
        replay = store.claim(scope, key, request_fingerprint())
        if replay is not None:
            return replay
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            store.release(scope, key)
            raise
        if 200 <= response.status_code < 300:
            store.complete(scope, key, response)
        else:
            store.release(scope, key)
        return response

    apidoc = dict(getattr(wrapper, "_apidoc", {}))
    manual = dict(apidoc.get("manual_doc", {}))
    manual["parameters"] = [*manual.get("parameters", []), HEADER_DOC]
    apidoc["manual_doc"] = manual
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper
