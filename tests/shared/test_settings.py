import pytest

from shared.config import ServiceSettings
from shared.settings import Setting, SettingsError, load_settings, parse_positive_int

SECRET = "s" * 40


def test_defaults_and_overrides() -> None:
    settings = ServiceSettings.from_env(
        "ledger", environ={"ACORN_JWT_SECRET": SECRET, "ACORN_LEDGER_DB": "books"}
    )
    assert settings.database == "books"
    assert settings.mongodb_uri == "mongodb://127.0.0.1:27017/"
    assert settings.api_jwt.algorithm == "HS256"


def test_every_bad_setting_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as error:
        ServiceSettings.from_env(
            "ledger",
            environ={"ACORN_JWT_SECRET": SECRET, "ACORN_LOG_LEVEL": "LOUD", "MONGODB_URI": " "},
        )
    assert "ACORN_LOG_LEVEL" in str(error.value)
    assert "MONGODB_URI" in str(error.value)


def test_short_jwt_secret_stops_the_process() -> None:
    with pytest.raises(SettingsError, match="ACORN_JWT_SECRET"):
        ServiceSettings.from_env("ledger", environ={"ACORN_JWT_SECRET": "short"})


def test_missing_required_and_secret_values_are_not_echoed() -> None:
    spec = {
        "grace": Setting("GRACE_DAYS", parse=parse_positive_int),
        "key": Setting("API_KEY", parse=parse_positive_int, secret=True),
    }
    with pytest.raises(SettingsError) as error:
        load_settings(spec, {"API_KEY": "hunter2"})
    assert "GRACE_DAYS is required" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_workers_need_no_jwt() -> None:
    settings = ServiceSettings.from_env("value", environ={}, with_jwt=False)
    assert settings.jwt is None
