"""Checking a real answer against the schema a service's OpenAPI document gives it."""

from __future__ import annotations

from typing import Any

import jsonschema
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = "urn:acorn:openapi"


def documented_errors(
    client: FlaskClient, path: str, body: Any, *, status: str = "200"
) -> list[str]:
    """Why `body` (the JSON answer of `GET path`) is not what the document says, if it is not."""
    spec = client.get("/openapi.json").get_json()
    content = spec["paths"][path]["get"]["responses"][status]["content"]
    registry = Registry().with_resource(
        SPEC, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": SPEC + content["application/json"]["schema"]["$ref"]}, registry=registry
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
