"""docker-compose.yml is valid Compose and runs the same components as `./dev up`.

No Docker engine runs here, so the file is checked against the Compose Specification's JSON
schema (from compose-go, the specification's reference implementation) instead of by
`docker compose config`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from deploy import provision, stack
from deploy.paths import REPO_ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(Path(provision.compose_schema()).read_text())


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any], schema: dict[str, Any]
) -> None:
    jsonschema.validate(compose, schema)


def test_schema_check_catches_a_broken_file(
    compose: dict[str, Any], schema: dict[str, Any]
) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["kafka"]["port"] = ["9092:9092"]  # a typo for `ports`
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_official_images_for_infrastructure(compose: dict[str, Any]) -> None:
    assert compose["services"]["mongodb"]["image"].startswith("mongo:7")
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4.")


def test_every_local_component_has_a_compose_service_running_the_same_module(
    compose: dict[str, Any],
) -> None:
    for component in [*stack.service_components(), stack.web_component()]:
        service = compose["services"].get(component.name)
        assert service is not None, f"{component.name} is missing from docker-compose.yml"
        entrypoint = (
            component.command[-1]
            if component.name.endswith("-api") or component.name == "web"
            else " ".join(component.command[-2:])
        )
        assert entrypoint in " ".join(service["command"]), component.name
