"""Creating the app and the consumer's context connects to nothing."""

from __future__ import annotations

import pytest

from services.outcomes.entrypoints.api import create_app
from services.outcomes.settings import EXTRAS
from shared.config import ServiceSettings
from shared.settings import SettingsError
from tests.support.identity import TEST_JWT

NOWHERE = {
    "MONGODB_URI": "mongodb://127.0.0.1:9/",  # nothing listens: any connection attempt would fail
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
    "ACORN_JWT_SECRET": TEST_JWT.secret or "",
}


def test_create_app_neither_connects_nor_seeds() -> None:
    app = create_app(ServiceSettings.from_env("outcomes", extras=EXTRAS, environ=NOWHERE))
    try:
        assert app.test_client().get("/healthz").status_code == 200
        ctx = app.extensions["acorn"]
        assert (ctx.grace_days, ctx.baseline_days, ctx.guardrail, ctx.batch_limit) == (
            30,
            30,
            20,
            1000,
        )
    finally:
        app.extensions["acorn_runtime"].client.close()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ACORN_OUTCOMES_ENROLMENT_GRACE_DAYS", "-1"),
        ("ACORN_OUTCOMES_INDICATOR_GUARDRAIL", "0"),
        ("ACORN_OUTCOMES_BATCH_LIMIT", "many"),
    ],
)
def test_a_bad_setting_is_named(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        ServiceSettings.from_env("outcomes", extras=EXTRAS, environ=NOWHERE | {variable: value})
