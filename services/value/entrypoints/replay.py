"""Rebuild the read model from scratch: `python -m services.value.entrypoints.replay`.

Run it while the value API is stopped (DuckDB lets one process open the database file at a time;
a running API holds it). It forgets every fact and position in the file named by
`ACORN_VALUE_DATABASE_FILE`, then consumes every topic from the beginning until it has reached
the end offsets the topics had when it started. The result is the same to the penny as the read
model built live. An API started on a file with no positions does the same by itself.
"""

from __future__ import annotations

import argparse
import logging

from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.entrypoints.consumer import catch_up
from shared.config import ServiceSettings
from shared.logs import log_fields

logger = logging.getLogger(__name__)


def replay(settings: ServiceSettings, read_model: ReadModel, *, timeout: float = 600.0) -> int:
    """Returns how many events were handled."""
    read_model.reset()
    handled = catch_up(settings, read_model, timeout=timeout)
    logger.info("read model replayed", extra=log_fields(handled=handled))
    return handled


def main(argv: list[str] | None = None) -> None:
    # parsed before anything is touched: `--help` (or a mistyped option) must not drop the model
    argparse.ArgumentParser(
        prog="python -m services.value.entrypoints.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args(argv)
    settings = value_settings.load_worker()
    store = FactStore(settings.extras["database_file"])
    try:
        handled = replay(settings, ReadModel(store))
    finally:
        store.close()
    print(f"value read model rebuilt from {handled} events")


if __name__ == "__main__":
    main()
