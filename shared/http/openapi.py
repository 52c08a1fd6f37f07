"""What every service's OpenAPI document says the same way.

- **One type for each kind of figure**, as named schemas in `components.schemas`: `Pence`
  (money: an integer of whole pence), `Pounds` (the same money printed for people), `Count` (an
  integer), `Decimal` (an exact figure rounded to the places shown, as a string so no float
  loses it), `Suppressed` (the string "suppressed", standing for a small number withheld) and
  the `...OrSuppressed` unions of the figures a report may withhold. Report schemas use them
  through `money`, `count`, `decimal` and `suppressible` fields.
- **Every error is a problem document** (`application/problem+json`, RFC 9457), including the
  422 that flask-smorest documents for bad arguments.
- **401 and 403 wherever they can happen**: every operation outside the open paths (probes,
  metrics, the documents themselves) needs a bearer token and checks the caller's role.
"""

from __future__ import annotations

import http
from typing import Any

from apispec import APISpec, BasePlugin
from marshmallow import fields

from shared.http.problems import PROBLEM_CONTENT_TYPE
from shared.http.security import PUBLIC_PATHS
from shared.suppression import SUPPRESSED

JSON = "application/json"
SCHEMAS = "#/components/schemas/"
# what the standard error responses say beyond their status's name
ERROR_MEANINGS = {
    401: "No bearer token, or one that is expired, badly signed or for another audience.",
    403: "The caller's role may not do this (for a provider: the record is not theirs).",
}

FIGURES: dict[str, dict[str, Any]] = {
    "Pence": {
        "type": "integer",
        "description": "Money: whole pence sterling, exact. Never a float or a string; fields "
        "named `*_pence` hold it. Where a request takes pounds, the field is named `*_pounds`.",
    },
    "Pounds": {
        "type": "string",
        "pattern": r"^-?£[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$",
        "description": 'The same money printed for people ("£1,234.56"), rounded half-even from '
        "exact pence. For reading only: compute with the `*_pence` figure beside it.",
    },
    "Count": {
        "type": "integer",
        "minimum": 0,
        "description": "A whole number of children, observations, transactions or rows.",
    },
    "Decimal": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
        "description": "An exact figure (attributed outcomes, child-weeks, a percentage, a ratio) "
        "rounded half-even to the places shown, as a string so that no float changes it.",
    },
    "Suppressed": {
        "type": "string",
        "const": SUPPRESSED,
        "description": "A figure withheld because it describes between one child and one fewer "
        "than the report's suppression threshold, or would let a reader work such a figure "
        "back out. Finance may ask for `unsuppressed` figures.",
    },
}
SUPPRESSIBLE = ("Pence", "Count", "Decimal")
for _name in SUPPRESSIBLE:
    FIGURES[f"{_name}OrSuppressed"] = {
        "oneOf": [{"$ref": f"{SCHEMAS}{_name}"}, {"$ref": f"{SCHEMAS}Suppressed"}],
        "description": f"A `{_name}`, or `Suppressed` where the report withholds it.",
    }


def _figure(name: str, field: type[fields.Field], **kwargs: Any) -> fields.Field:
    metadata = {"allOf": [{"$ref": f"{SCHEMAS}{name}"}], **kwargs.pop("metadata", {})}
    return field(metadata=metadata, **kwargs)


def money(**kwargs: Any) -> fields.Field:
    return _figure("Pence", fields.Integer, **kwargs)


def printed_money(**kwargs: Any) -> fields.Field:
    return _figure("Pounds", fields.String, **kwargs)


def count(**kwargs: Any) -> fields.Field:
    return _figure("Count", fields.Integer, **kwargs)


def decimal(**kwargs: Any) -> fields.Field:
    return _figure("Decimal", fields.String, **kwargs)


def suppressible(figure: str, **kwargs: Any) -> fields.Field:
    """A `figure` (Pence, Count or Decimal) that a report may withhold as `Suppressed`."""
    return _figure(f"{figure}OrSuppressed", fields.Raw, **kwargs)


def report_response(
    schema: Any, description: str, *, files: tuple[str, ...] = (), status: int = 200
) -> dict[str, Any]:
    """`blp.doc(responses=...)` of an answer built as a plain dict: its JSON schema, and the
    files (CSV, XLSX, PNG, SVG media types) the same report comes as with `format`."""
    content = {JSON: {"schema": schema}, **file_response("", *files)["200"]["content"]}
    return {str(status): {"description": description, "content": content}}


def file_response(description: str, *media_types: str) -> dict[str, Any]:
    """`blp.doc(responses=...)` of an answer that is only a file."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"200": {"description": description, "content": dict.fromkeys(media_types, binary)}}


class AcornOpenApi(BasePlugin):  # type: ignore[misc]
    """Registers the figures' schemas, and gives every operation its problem responses."""

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for name, schema in FIGURES.items():
            spec.components.schema(name, schema)

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if path is not None and not path.startswith(PUBLIC_PATHS):
                responses.setdefault("401", http.HTTPStatus.UNAUTHORIZED.name)
                responses.setdefault("403", http.HTTPStatus.FORBIDDEN.name)
            for status, response in responses.items():
                if _is_error(status) and isinstance(response, dict):
                    content = response.get("content", {})
                    if JSON in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop(JSON)


def register_problem_responses(spec: APISpec, problem_schema: Any) -> None:
    """The standard response of each error status (and `default`) as a problem document:
    flask-smorest's own would say `application/json`."""
    for status in http.HTTPStatus:
        if status < 400:
            continue
        description = ERROR_MEANINGS.get(status, status.phrase)
        spec.components.response(status.name, _problem(description, problem_schema), lazy=True)
    spec.components.response(
        "DEFAULT_ERROR", _problem("Any other error", problem_schema), lazy=True
    )


def _problem(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}}}


def _is_error(status: Any) -> bool:
    return str(status) == "default" or str(status)[0] in "45"
