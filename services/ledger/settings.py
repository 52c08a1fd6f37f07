"""The ledger's own settings, on top of those every service shares."""

from __future__ import annotations

from shared.config import ServiceSettings
from shared.runtime import load_api_settings, load_worker_settings
from shared.settings import Setting

SERVICE = "ledger"
EXTRAS = {
    # empty: "<topic prefix>acorn-ledger", so environments sharing a broker never share a group
    "consumer_group": Setting("ACORN_LEDGER_CONSUMER_GROUP", parse=str, default=""),
}


def load_api() -> ServiceSettings:
    return load_api_settings(SERVICE, EXTRAS)


def load_worker() -> ServiceSettings:
    return load_worker_settings(SERVICE, EXTRAS)
