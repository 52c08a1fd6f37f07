"""Rebuild the read model from scratch: `python -m services.value.entrypoints.replay`.

Drops the read model, then consumes every topic from the beginning with a fresh consumer group
until it has reached the end offsets the topics had when it started. Effects are idempotent and
order-free, so the result is the same to the penny as the read model built live; a consumer
running meanwhile does no harm.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
import uuid

from kafka import TopicPartition

from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from services.value.entrypoints.consumer import build_runner
from shared.config import ServiceSettings
from shared.logs import log_fields
from shared.runtime import ServiceRuntime

logger = logging.getLogger(__name__)


class ReplayTimeout(RuntimeError):
    pass


def replay(
    settings: ServiceSettings, *, runtime: ServiceRuntime | None = None, timeout: float = 600.0
) -> int:
    """Returns how many events were handled."""
    runtime = runtime or ServiceRuntime.connect(settings)
    ReadModel(runtime.db).reset()
    group = f"{settings.topic_prefix}acorn.value.replay-{uuid.uuid4().hex[:12]}"
    runner = build_runner(settings, runtime=runtime, group_id=group)
    consumer, stop = runner.consumer, threading.Event()
    deadline = time.monotonic() + timeout
    try:
        while not consumer.assignment():
            runner.poll_once(stop)
            _check(deadline)
        partitions: set[TopicPartition] = set(consumer.assignment())
        ends = consumer.end_offsets(list(partitions))
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            runner.poll_once(stop)
            _check(deadline)
    finally:
        consumer.close(autocommit=False)
        runner.producer.close(timeout=5)
    logger.info("read model replayed", extra=log_fields(handled=runner.stats.handled))
    return runner.stats.handled


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise ReplayTimeout("the replay did not catch up in time")


def main(argv: list[str] | None = None) -> None:
    # parsed before anything is touched: `--help` (or a mistyped option) must not drop the model
    argparse.ArgumentParser(
        prog="python -m services.value.entrypoints.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args(argv)
    settings = value_settings.load_worker()
    handled = replay(settings)
    print(f"value read model rebuilt from {handled} events")


if __name__ == "__main__":
    main()
