"""`Idempotency-Key` on every write, scoped to the caller's identity and authorisation.

The same key with the same request returns the first response; the same key with a different
request is refused (422). The scope is the token's subject, roles and provider together, so a
token with another role or provider never replays an answer its own checks would have refused.

Claiming a key is an insert under the unique `_id` (scope + key), so two concurrent requests with
one key cannot both run: the second gets 409 with `Retry-After` while the first holds the claim.
A claim is a lease of `LEASE_SECONDS`: if the worker holding it died (killed mid-request, its
answer never stored), a retry after the lease takes the claim over and redoes the request. The
redo cannot double anything: ids of new records come from the claim (`shared.ids`), so it makes
the same ids as the first attempt and meets what that attempt wrote under their unique `_id`s.
Only successful responses are kept; a refused or failed request releases its key so the caller
can correct the request and send it again.

What a client does (docs/operations.md): one key per intended write; after a timeout or a lost
connection, send the same request with the same key until it answers anything but 409.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.auth import Caller
from shared.http.problems import ProblemError
from shared.http.security import current_caller
from shared.ids import repeatable_ids
from shared.logs import log_fields

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
COLLECTION = "idempotency_keys"
MAX_KEY_LENGTH = 200
# Longer than any request runs (gunicorn's worker timeout is 30 s): a claim this old is orphaned.
LEASE_SECONDS = 60

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


def caller_scope(caller: Caller) -> str:
    """Whose keys these are: the subject with the roles and provider its token grants."""
    return "|".join([caller.subject, ",".join(sorted(caller.roles)), caller.provider_id or ""])


class IdempotencyStore:
    def __init__(self, db: Database[dict[str, Any]], lease_seconds: float = LEASE_SECONDS) -> None:
        self.collection = db[COLLECTION]
        self.lease = timedelta(seconds=lease_seconds)

    def claim(
        self, scope: str, key: str, fingerprint: str, *, attempts: int = 3
    ) -> Response | None:
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
        if existing is None and attempts > 1:  # released between our insert and read
            return self.claim(scope, key, fingerprint, attempts=attempts - 1)
        if existing is None or existing["fingerprint"] != fingerprint:
            raise ProblemError(
                422,
                f"{HEADER} {key!r} was already used for a different request",
                errors=[{"field": HEADER, "reason": "reused with a different request"}],
            )
        if existing["state"] == "pending":
            return self._pending(existing, scope, key, fingerprint, attempts=attempts)
        stored = Response(
            existing["body"], status=existing["status"], mimetype=existing["mimetype"]
        )
        for name, value in existing.get("headers", {}).items():
            stored.headers[name] = value
        stored.headers["Idempotent-Replayed"] = "true"
        return stored

    def _pending(
        self, existing: dict[str, Any], scope: str, key: str, fingerprint: str, *, attempts: int
    ) -> Response | None:
        """409 while the claim's lease runs; after it, the claim's worker is gone: take over."""
        claimed_at = existing["claimed_at"]
        claimed_at = claimed_at if claimed_at.tzinfo else claimed_at.replace(tzinfo=UTC)
        remaining = claimed_at + self.lease - datetime.now(UTC)
        if remaining > timedelta(0) or attempts <= 1:
            raise ProblemError(
                409,
                f"a request with {HEADER} {key!r} is still in progress; "
                "send it again with the same key after Retry-After seconds",
                headers={"Retry-After": str(max(1, int(remaining.total_seconds()) + 1))},
            )
        # Only the claim as it was is deleted, so of two retries taking over, one inserts the
        # new claim and the other finds it pending. Were both to run, the repeatable ids of the
        # redo (`shared.ids`) would still store each record once.
        self.collection.delete_one({"_id": existing["_id"], "claimed_at": existing["claimed_at"]})
        logger.warning(
            "idempotency claim outlived its lease; redoing the request",
            extra=log_fields(claimed_at=claimed_at.isoformat()),
        )
        return self.claim(scope, key, fingerprint, attempts=attempts - 1)

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
        scope = caller_scope(current_caller())
        replay = store.claim(scope, key, request_fingerprint())
        if replay is not None:
            return replay
        try:
            with repeatable_ids(f"{scope}\x1f{key}"):
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
