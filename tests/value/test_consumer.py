"""The read-model consumer applies a poll as one batch and still isolates a poison event."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.value.entrypoints.api import create_service_app_for
from shared.events.topics import dlq_topic, service_topic
from tests.support.bus import read_dead_letters, running, wait_until
from tests.value import events as ev
from tests.value.conftest import ValueService

pytestmark = pytest.mark.integration


def test_a_batch_mixing_poison_events_applies_the_rest(
    value_service: ValueService, kafka_bootstrap: str, topic_prefix: str
) -> None:
    [tx_a, tx_b] = ev.worked_example()["ledger"]
    stray = ev.transaction(
        "tx-v9",
        intervention_id="int-a",
        provider_id="prov-oak",
        lines=[("child-c1", "2025-01-06", "2025-03-30", 1)],
    )
    wrong_version = replace(stray, dataschemaversion=9)
    # valid by its schema, but no read model can hold a cost line that ends before it starts
    unstorable = ev.transaction(
        "tx-backwards",
        intervention_id="int-a",
        provider_id="prov-oak",
        lines=[("child-c1", "2025-03-30", "2025-01-06", 1)],
    )
    # published before the consumer starts, so they arrive in one poll
    value_service.publish("ledger", [tx_a, unstorable, wrong_version, tx_b, tx_a])

    runner = value_service.runner()
    with running(runner.run):
        wait_until(lambda: runner.stats.dead_lettered == 2, what="both poison events")
        wait_until(
            lambda: len(value_service.read_model.facts("invoiced").lines) == 2,
            what="both good transactions",
        )
    runner.producer.close(timeout=5)
    assert sorted(line.cost_pence for line in value_service.read_model.facts("invoiced").lines) == [
        120_000,
        360_000,
    ]
    topic = service_topic("ledger", topic_prefix)
    letters: list[dict[str, Any]] = read_dead_letters(kafka_bootstrap, dlq_topic(topic), expect=2)
    assert {letter["event_id"] for letter in letters} == {unstorable.id, wrong_version.id}
    [storage] = [letter for letter in letters if letter["event_id"] == unstorable.id]
    assert storage["exception"] == "ValueError"


def test_not_ready_until_caught_up_and_the_lag_is_a_metric(
    value_service: ValueService, topic_prefix: str
) -> None:
    value_service.publish("ledger", ev.worked_example()["ledger"])
    runner = value_service.runner()
    app = create_service_app_for(
        value_service.runtime,
        value_service.settings,
        value_service.read_model,
        consumer=runner.consumer,  # type: ignore[arg-type]
    )
    client = app.test_client()
    waiting = client.get("/readyz")
    assert waiting.status_code == 503 and "read_model" in waiting.get_json()["failures"]
    with running(runner.run):
        wait_until(lambda: client.get("/readyz").status_code == 200, what="caught up")
    runner.producer.close(timeout=5)
    metrics = client.get("/metrics").get_data(as_text=True).splitlines()
    topic = service_topic("ledger", topic_prefix)
    lags = [line for line in metrics if line.startswith("acorn_value_consumer_lag{")]
    assert any(f'topic="{topic}"' in line for line in lags)
    assert all(line.endswith(" 0.0") for line in lags)
    assert 'acorn_value_facts{table="transactions"} 2.0' in metrics
