"""A commit the broker refuses because the group rebalanced does not stop the consumer."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from kafka.errors import CommitFailedError, RebalanceInProgressError

from shared.consumer import ConsumerRunner
from shared.events.catalogue import outcomes as o
from shared.events.envelope import Envelope
from tests.shared.payload_examples import OBSERVATION


class RebalancingConsumer:
    """Kafka's consumer as the runner uses it, whose first commit meets a rebalance (a fake:
    a real group cannot be made to rebalance at one chosen moment)."""

    def __init__(self, refusal: Exception) -> None:
        event = Envelope(
            type=o.OBSERVATION_RECORDED,
            source="acorn/outcomes",
            subject=OBSERVATION["observation_id"],
            partitionkey=OBSERVATION["child_ref"],
            data=OBSERVATION,
        )
        record = SimpleNamespace(
            topic="acorn.outcomes", partition=0, offset=0, key=None, value=event.to_bytes()
        )
        self.polls: list[dict[str, list[Any]]] = [{"tp": [record]}, {"tp": [record]}]
        self.refusals = [refusal]
        self.commits = 0

    def poll(self, timeout_ms: int, max_records: int | None) -> dict[str, list[Any]]:
        return self.polls.pop(0) if self.polls else {}

    def commit(self) -> None:
        if self.refusals:
            raise self.refusals.pop()
        self.commits += 1


@pytest.mark.parametrize(
    "refusal", [RebalanceInProgressError("rebalancing"), CommitFailedError("group moved on")]
)
def test_a_commit_refused_by_a_rebalance_is_logged_and_the_next_poll_goes_on(
    refusal: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[str] = []
    consumer = RebalancingConsumer(refusal)
    runner = ConsumerRunner(
        consumer=consumer,  # type: ignore[arg-type]
        producer=None,  # type: ignore[arg-type]  (nothing here is dead-lettered)
        handlers={o.OBSERVATION_RECORDED: lambda event: handled.append(event.id)},
        name="test",
    )
    stop = threading.Event()
    assert runner.poll_once(stop) == 1  # handled; the commit refused, not raised
    assert "rebalance" in caplog.text
    assert runner.poll_once(stop) == 1  # the redelivery, handled again (effects are idempotent)
    assert consumer.commits == 1 and len(handled) == 2
