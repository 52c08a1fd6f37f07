"""The value service's own settings, beside those every service shares."""

from __future__ import annotations

from shared.config import ServiceSettings
from shared.runtime import load_api_settings, load_worker_settings
from shared.settings import Setting, parse_non_negative_int, parse_positive_int

SERVICE = "value"
EXTRAS = {
    # counts of fewer children than this are shown as "suppressed"; 0 turns suppression off
    "suppression_threshold": Setting(
        "ACORN_VALUE_SUPPRESSION_THRESHOLD", parse=parse_non_negative_int, default="5"
    ),
    "baseline_window_days": Setting(
        "ACORN_VALUE_BASELINE_WINDOW_DAYS", parse=parse_positive_int, default="180"
    ),
    # the DuckDB file holding the read model's facts and positions; ":memory:" keeps them in
    # memory only, so each start rebuilds them from the topics
    "database_file": Setting("ACORN_VALUE_DATABASE_FILE", default=":memory:"),
}


def load_api() -> ServiceSettings:
    return load_api_settings(SERVICE, EXTRAS)


def load_worker() -> ServiceSettings:
    return load_worker_settings(SERVICE, EXTRAS)
