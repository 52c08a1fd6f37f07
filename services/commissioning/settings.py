"""Settings of the commissioning service: only the shared ones (it has no consumer)."""

from __future__ import annotations

from shared.config import ServiceSettings
from shared.runtime import load_api_settings
from shared.settings import Setting

SERVICE = "commissioning"
EXTRAS: dict[str, Setting] = {}


def load_api() -> ServiceSettings:
    return load_api_settings(SERVICE, EXTRAS)
