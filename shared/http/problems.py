"""One error format for every service: RFC 9457 problem details.

Validation errors list each failing field with its reason in `errors`, so a caller (or a
provider's system posting a batch) knows exactly what to fix.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTP_STATUS_CODES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions


class FieldErrorSchema(Schema):
    field = fields.String(metadata={"description": "The failing field, as a dotted path."})
    reason = fields.String()


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested error messages into [{field, reason}] with dotted paths."""
    if isinstance(messages, dict):
        flat: list[dict[str, str]] = []
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.extend(field_errors(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return [{"field": prefix or "(body)", "reason": reason} for reason in messages]
    if isinstance(messages, list):
        return [
            e
            for index, item in enumerate(messages)
            for e in field_errors(item, f"{prefix}.{index}")
        ]
    return [{"field": prefix or "(body)", "reason": str(messages)}]


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException, instance: str) -> Response:
    """Problem details for werkzeug errors, including webargs' 422 with field messages."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    errors = None
    detail = error.description or HTTP_STATUS_CODES.get(status, "Error")
    if messages:
        # webargs nests messages by location ("json", "query", "headers"); the field is what matters
        errors = [
            {
                "field": e["field"].split(".", 1)[1] if "." in e["field"] else e["field"],
                "reason": e["reason"],
                "in": e["field"].split(".", 1)[0],
            }
            for e in field_errors(messages)
        ]
        detail = "The request has invalid fields: " + ", ".join(e["field"] for e in errors)
    elif data.get("message"):
        detail = data["message"]
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem_response(status, detail, instance=instance, errors=errors, headers=headers)
