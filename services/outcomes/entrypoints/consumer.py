"""The outcomes consumer: learns enrolments, and the indicators each provider's interventions
target, from the commissioning topic.

`child_enrolled` and `enrolment_ended` carry the whole enrolment snapshot, and every intervention
event the whole intervention; each is applied the same way (highest version wins), which makes
the effect idempotent and order-independent without a separate record of seen event ids. At start
the worker also seeds the default framework (an idempotent insert per indicator), so a fresh
council has its framework before the first request.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from services.outcomes import bootstrap
from services.outcomes.service_layer.context import Outcomes
from services.outcomes.service_layer.enrolments import (
    apply_enrolment_snapshot,
    apply_intervention_snapshot,
)
from services.outcomes.settings import load_worker
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner, Handler
from shared.events.catalogue.commissioning import (
    CHILD_ENROLLED,
    ENROLMENT_ENDED,
    INTERVENTION_ACTIVATED,
    INTERVENTION_AMENDED,
    INTERVENTION_COMMISSIONED,
    INTERVENTION_ENDED,
    INTERVENTION_RESUMED,
    INTERVENTION_SUSPENDED,
)
from shared.events.envelope import Envelope
from shared.kafka import make_consumer, make_producer
from shared.logs import log_fields
from shared.runtime import ServiceRuntime, run_worker

logger = logging.getLogger(__name__)


def enrolment_handler(ctx: Outcomes) -> Handler:
    def handle(event: Envelope) -> None:
        apply_enrolment_snapshot(event.data["enrolment"], ctx=ctx)

    return handle


def intervention_handler(ctx: Outcomes) -> Handler:
    def handle(event: Envelope) -> None:
        apply_intervention_snapshot(event.data["intervention"], ctx=ctx)

    return handle


INTERVENTION_EVENTS = (
    INTERVENTION_COMMISSIONED,
    INTERVENTION_ACTIVATED,
    INTERVENTION_AMENDED,
    INTERVENTION_SUSPENDED,
    INTERVENTION_RESUMED,
    INTERVENTION_ENDED,
)


class OutcomesRunner(ConsumerRunner):
    """The consumer runner that owns its database client and producer and closes them at the end."""

    def __init__(self, *, runtime: ServiceRuntime, ctx: Outcomes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.ctx = ctx

    def run(self, stop: threading.Event) -> None:
        try:
            super().run(stop)
        finally:
            self.producer.close(timeout=10)
            self.runtime.client.close()


def build_runner(settings: ServiceSettings) -> OutcomesRunner:
    runtime = ServiceRuntime.connect(settings)
    ctx = bootstrap.build(runtime)
    handle = enrolment_handler(ctx)
    interventions = intervention_handler(ctx)
    topic = runtime.topic("commissioning")
    return OutcomesRunner(
        runtime=runtime,
        ctx=ctx,
        consumer=make_consumer(
            settings.kafka_bootstrap_servers, f"{settings.topic_prefix}acorn-outcomes", [topic]
        ),
        producer=make_producer(settings.kafka_bootstrap_servers),
        handlers={
            CHILD_ENROLLED: handle,
            ENROLMENT_ENDED: handle,
            **dict.fromkeys(INTERVENTION_EVENTS, interventions),
        },
        name="outcomes-enrolments",
    )


def main() -> None:
    settings = load_worker()
    runner = build_runner(settings)
    runner.ctx.indicators.ensure_seeded()
    logger.info("outcomes consumer started", extra=log_fields(database=settings.database))
    run_worker(settings, "outcomes-consumer", runner)


if __name__ == "__main__":
    main()
