"""The ledger's own settings, on top of those every service shares."""

from __future__ import annotations

from shared.config import ServiceSettings
from shared.runtime import load_api_settings, load_worker_settings
from shared.settings import Setting, parse_non_negative_int

SERVICE = "ledger"
EXTRAS = {
    # empty: "<topic prefix>acorn-ledger", so environments sharing a broker never share a group
    "consumer_group": Setting("ACORN_LEDGER_CONSUMER_GROUP", parse=str, default=""),
    # counts of fewer children than this are suppressed in reports about children (as in value)
    "suppression_threshold": Setting(
        "ACORN_LEDGER_SUPPRESSION_THRESHOLD", parse=parse_non_negative_int, default="5"
    ),
}


def load_api() -> ServiceSettings:
    return load_api_settings(SERVICE, EXTRAS)


def load_worker() -> ServiceSettings:
    return load_worker_settings(SERVICE, EXTRAS)
