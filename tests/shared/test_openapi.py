"""Each service's OpenAPI document says what its answers are: a success schema for every
operation, errors as problem documents, 401 and 403 wherever a token is needed, and money,
counts and withheld figures in one type each (shared/http/openapi.py). That real answers match
the schemas is checked where the reports are made (tests/value, tests/ledger)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.http.security import PUBLIC_PATHS

SERVICES = ("commissioning", "outcomes", "ledger", "value")
METHODS = ("get", "post", "put", "patch", "delete")
JSON, PROBLEM = "application/json", "application/problem+json"


@pytest.fixture(params=SERVICES)
def spec(request: pytest.FixtureRequest, client_of: Callable[[str], FlaskClient]) -> Any:
    return client_of(request.param).get("/openapi.json").get_json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolved(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        answer: dict[str, Any] = spec["components"]["responses"][name]
        return answer
    return response


def test_every_operation_documents_what_it_answers_with_a_schema(spec: dict[str, Any]) -> None:
    missing = []
    for path, method, operation in operations(spec):
        successes = [r for status, r in operation["responses"].items() if status[0] == "2"]
        contents = [resolved(spec, r).get("content", {}) for r in successes]
        if not contents or not all(content for content in contents):
            missing.append(f"{method.upper()} {path}: no success answer documented")
        for content in contents:
            for media_type, described in content.items():
                if "schema" not in described:
                    missing.append(f"{method.upper()} {path}: {media_type} has no schema")
    assert missing == []


def test_errors_are_problem_documents_and_401_403_are_documented_where_they_can_happen(
    spec: dict[str, Any],
) -> None:
    wrong = []
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        if not path.startswith(PUBLIC_PATHS) and not {"401", "403"} <= set(responses):
            wrong.append(f"{method.upper()} {path}: 401 or 403 not documented")
        for status, response in responses.items():
            if status == "default" or status[0] in "45":
                media_types = set(resolved(spec, response).get("content", {}))
                if media_types != {PROBLEM}:
                    wrong.append(f"{method.upper()} {path} {status}: {sorted(media_types)}")
    assert wrong == []


def properties(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for schema_name, schema in spec["components"]["schemas"].items():
        for name, prop in schema.get("properties", {}).items():
            yield schema_name, name, prop


def test_money_counts_and_withheld_figures_have_one_type_each(spec: dict[str, Any]) -> None:
    figures = spec["components"]["schemas"]
    assert figures["Pence"]["type"] == "integer" and figures["Count"]["type"] == "integer"
    assert figures["Suppressed"] == {**figures["Suppressed"], "type": "string"}
    assert figures["Suppressed"]["const"] == "suppressed"
    for name in ("Pence", "Count", "Decimal"):
        assert figures[f"{name}OrSuppressed"]["oneOf"][1] == {
            "$ref": "#/components/schemas/Suppressed"
        }
    wrong = []
    for schema_name, name, prop in properties(spec):
        refs = str(prop.get("allOf", "")) + str(prop.get("anyOf", ""))
        if name.endswith("_pence") and not ("integer" in str(prop.get("type")) or "Pence" in refs):
            wrong.append(f"{schema_name}.{name}: money not integer pence ({prop})")
        if name.endswith("_pounds") and prop.get("type") != "string":
            wrong.append(f"{schema_name}.{name}: pounds not a decimal string ({prop})")
    assert wrong == []
