"""Property-based fuzzing of every service's API from its own OpenAPI document (schemathesis):
whatever it generates, valid or not, no service answers 5xx.

Bounded so the suite stays quick (`ACORN_FUZZ_EXAMPLES` per operation, default 12); a deeper run
is `ACORN_FUZZ_EXAMPLES=500 ./dev test tests/faults/test_fuzz.py -s`, which prints what it tried.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from shared.auth import ROLES, mint_token
from tests.faults.conftest import SERVICES
from tests.support.identity import TEST_JWT

FUZZ_EXAMPLES = int(os.environ.get("ACORN_FUZZ_EXAMPLES", "12"))


@pytest.mark.parametrize("service", SERVICES)
def test_no_generated_request_makes_a_service_fail(
    service: str, client_of: Callable[[str], FlaskClient]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", client_of(service).application)
    # every role at once (a provider too), so the checks behind each role are reached
    token = mint_token(TEST_JWT, roles=list(ROLES), provider_id="prv-fuzz", subject="fuzzer")
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    tried = 0

    for result in schema.get_all_operations():
        operation = result.ok()

        # valid requests and, as often, requests that break the schema on purpose
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def probe(case: Any) -> None:
            nonlocal tried
            tried += 1
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]}\n  {case.as_curl_command()}"
                )

        probe()
    print(f"fuzz: {service}: {tried} requests, {len(failures)} server errors")
    assert not failures, "\n".join(failures[:10])
