"""The README's commands for each person's job cannot rot: every curl names an operation the
service documents, with documented query parameters, the headers it requires (If-Match,
Idempotency-Key) and a body its request schema accepts; every `./dev` command parses."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from deploy import cli
from services.ledger import cli as ledger_cli
from services.value import cli as value_cli

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Each person's job, in commands"
SERVICES = {8001: "commissioning", 8002: "outcomes", 8003: "ledger", 8004: "value"}
# what the shell would have learnt from earlier answers (`jq -r .provider_id`)
LEARNT = {"PROVIDER": "prv-0123456789abcdef", "INTERVENTION": "int-0123456789abcdef"}
SPEC = "urn:acorn:openapi"


@dataclass
class Curl:
    line: str
    method: str = "GET"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def shell_lines() -> Iterator[str]:
    """The logical lines of the section's `sh` blocks (continuations joined)."""
    for block in re.findall(r"```sh\n(.*?)```", section(), flags=re.S):
        yield from (line.strip() for line in block.replace("\\\n", " ").splitlines())


def expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$(\w+)", lambda m: variables.get(m.group(1), m.group(0)), text)


def commands() -> tuple[list[Curl], list[list[str]]]:
    """Each curl (with the variables of the lines before it substituted) and each ./dev."""
    variables = dict(LEARNT)
    curls, dev = [], []
    for line in shell_lines():
        line = re.sub(r"\$\(\./dev token [^)]*\)", "token", line)
        assignment = re.fullmatch(r"(\w+)=\"?([^\"$(]*)\"?", line)
        if assignment and "curl" not in line:
            variables[assignment.group(1)] = expand(assignment.group(2), variables)
            continue
        if "curl " in line:
            command = re.sub(r"\s*\|\s*jq[^)]*\)$", "", line.split("$(", 1)[-1])
            curls.append(parse_curl(expand(command, variables), line))
        elif line.startswith("./dev "):
            dev.append(shlex.split(expand(line, variables))[1:])
    return curls, dev


def parse_curl(command: str, line: str) -> Curl:
    curl = Curl(line)
    words = iter(shlex.split(command)[1:])
    for word in words:
        if word == "-H":
            name, _, value = next(words).partition(":")
            curl.headers[name.strip().lower()] = value.strip()
        elif word == "-d":
            curl.method, curl.body = "POST", json.loads(next(words))
        elif word == "-X":
            curl.method = next(words)
        elif word == "-o":
            next(words)
        elif word.startswith("http"):
            curl.url = word
    return curl


CURLS, DEV = commands()


def test_the_section_covers_each_persons_job() -> None:
    assert len(CURLS) >= 15 and len(DEV) >= 2
    roles = " ".join(re.findall(r"--role (\w+)", section()))
    assert {"commissioner", "provider", "finance"} <= set(roles.split())
    assert {SERVICES[urlsplit(c.url).port or 0] for c in CURLS} == set(SERVICES.values())


@pytest.fixture(scope="module")
def specs() -> dict[str, Any]:
    return {}


def matching(spec: dict[str, Any], path: str) -> tuple[str, dict[str, Any]]:
    for template, item in spec["paths"].items():
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path):
            return template, item
    raise AssertionError(f"{path} is not in the document")


def body_errors(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    registry = Registry().with_resource(
        SPEC, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    root = {"$ref": SPEC + schema["$ref"]} if "$ref" in schema else schema
    validator = jsonschema.Draft202012Validator(root, registry=registry)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


@pytest.mark.parametrize("curl", CURLS, ids=[c.line[:60] for c in CURLS])
def test_each_curl_is_an_operation_the_service_documents(
    curl: Curl, specs: dict[str, Any], client_of: Callable[[str], FlaskClient]
) -> None:
    url = urlsplit(curl.url)
    service = SERVICES[url.port or 0]
    if service not in specs:
        specs[service] = client_of(service).get("/openapi.json").get_json()
    spec = specs[service]
    template, item = matching(spec, url.path)
    operation = item.get(curl.method.lower())
    assert operation is not None, f"{curl.method} {template} is not documented"
    assert curl.headers.get("authorization", "").startswith("Bearer ")
    parameters = operation.get("parameters", [])
    query = {p["name"]: p for p in parameters if p["in"] == "query"}
    for name, value in parse_qsl(url.query):
        assert name in query, f"{template} takes no query parameter {name!r}"
        allowed = query[name].get("schema", {}).get("enum")
        assert allowed is None or value in allowed, f"{name}={value} is not one of {allowed}"
    for header in (p["name"] for p in parameters if p["in"] == "header" and p.get("required")):
        assert header.lower() in curl.headers, f"{template} needs the {header} header"
    if curl.body is not None:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body_errors(spec, schema, curl.body) == []


def test_each_dev_command_parses() -> None:
    """As `./dev` would: `report` and `finance` hand what follows to the value and ledger CLIs."""
    parsers = {"report": value_cli.build_parser(), "finance": ledger_cli.build_parser()}
    for command, *rest in DEV:
        if command in parsers:
            parsers[command].parse_args(rest)
        else:
            cli.build_parser().parse_args([command, *rest])
