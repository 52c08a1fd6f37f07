"""Running a long-lived worker (relay, consumer) as its own process: settings, logs, signals."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable

from shared.config import ServiceSettings
from shared.logs import configure_logging
from shared.settings import SettingsError


def load_worker_settings(service: str, **kwargs: object) -> ServiceSettings:
    """Settings for a worker process; a bad setting stops the process with a message naming it."""
    try:
        settings = ServiceSettings.from_env(service, with_jwt=False, **kwargs)  # type: ignore[arg-type]
    except SettingsError as error:
        sys.exit(f"{service}: configuration error: {error}")
    configure_logging(service, settings.log_level)
    return settings


def run_until_signalled(work: Callable[[threading.Event], None]) -> None:
    """Run `work(stop)` and set `stop` on SIGTERM or SIGINT, so the worker finishes cleanly."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    work(stop)
