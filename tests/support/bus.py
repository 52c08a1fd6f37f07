"""Helpers for tests that watch the bus: poll for an outcome, read a topic, run workers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from shared.events.envelope import Envelope


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60.0
) -> list[tuple[bytes | None, bytes]]:
    """Read at least `expect` messages (key, value) from the start of `topic`. The reader is
    assigned every partition rather than joining a group: a group's join and rebalance took
    longer than a test waits on a busy machine."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    messages: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        numbers = wait_until(
            lambda: consumer.partitions_for_topic(topic),
            timeout=max(deadline - time.monotonic(), 1.0),
            what=f"the partitions of {topic}",
        )
        partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while len(messages) < expect and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                messages.extend((record.key, record.value) for record in records)
        # one more short poll: more than expected is a finding, not something to hide
        for records in consumer.poll(timeout_ms=500).values():
            messages.extend((record.key, record.value) for record in records)
    finally:
        consumer.close()
    assert len(messages) >= expect, f"{topic}: expected {expect} messages, got {len(messages)}"
    return messages


def read_events(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60.0
) -> list[Envelope]:
    return [
        Envelope.from_bytes(value)
        for _, value in read_topic(bootstrap, topic, expect=expect, timeout=timeout)
    ]


def read_dead_letters(bootstrap: str, topic: str, *, expect: int) -> list[dict[str, Any]]:
    return [json.loads(value) for _, value in read_topic(bootstrap, topic, expect=expect)]


@contextmanager
def running(work: Callable[[threading.Event], None]) -> Iterator[threading.Event]:
    """Run a worker (`relay.run`, `runner.run`) in a thread for the duration of the block."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work(stop)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)
    if errors:
        raise errors[0]
