"""`python -m services.ledger.entrypoints.consumer`: the ledger's view of commissioning.

Each commissioning event carries its aggregate's full snapshot. The ledger keeps the newest
snapshot (by version) and every revision with when it was recorded (reports as at a moment read
those), raises or corrects the intervention's commitment, and re-accrues the months
already accrued, once per intervention for each poll's events. Every effect is a chain posting
under a deterministic id (see the handlers), so a redelivered or replayed event posts nothing the
second time.
"""

from __future__ import annotations

import logging
from datetime import date

from services.ledger import settings as ledger_settings
from services.ledger.adapters.records import (
    enrolment_from_event,
    intervention_from_event,
    provider_from_event,
)
from services.ledger.bootstrap import mongo_ledger
from services.ledger.service_layer import handlers
from services.ledger.service_layer.handlers import Ledger, Snapshot
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner, Handler
from shared.events.catalogue import commissioning
from shared.events.envelope import Envelope
from shared.kafka import make_consumer, make_producer
from shared.logs import log_fields
from shared.runtime import ServiceRuntime, run_worker

logger = logging.getLogger(__name__)

INTERVENTION_EVENTS = (
    commissioning.INTERVENTION_COMMISSIONED,
    commissioning.INTERVENTION_ACTIVATED,
    commissioning.INTERVENTION_AMENDED,
    commissioning.INTERVENTION_SUSPENDED,
    commissioning.INTERVENTION_RESUMED,
    commissioning.INTERVENTION_ENDED,
    commissioning.INTERVENTION_CORRECTED,
)
ENROLMENT_EVENTS = (commissioning.CHILD_ENROLLED, commissioning.ENROLMENT_ENDED)
# a provider's name, to print beside its id in the ledger's reports and exports
PROVIDER_EVENTS = (commissioning.PROVIDER_REGISTERED, commissioning.PROVIDER_UPDATED)


class CommissioningHandlers:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def apply_batch(self, events: list[Envelope]) -> None:
        """A poll's events at once: each touched intervention is brought up to date once."""
        providers = [provider_from_event(e.data) for e in events if e.type in PROVIDER_EVENTS]
        if providers:
            handlers.record_providers(providers, ledger=self.ledger)
        snapshots = [_snapshot(e) for e in events if e.type not in PROVIDER_EVENTS]
        if snapshots:
            handlers.record_commissioning(snapshots, ledger=self.ledger)

    def apply(self, event: Envelope) -> None:
        self.apply_batch([event])

    def table(self) -> dict[str, Handler]:
        return dict.fromkeys(
            (*INTERVENTION_EVENTS, *ENROLMENT_EVENTS, *PROVIDER_EVENTS), self.apply
        )


def _snapshot(event: Envelope) -> Snapshot:
    source = f"event:{event.id}"
    if event.type in ENROLMENT_EVENTS:
        return Snapshot(enrolment_from_event(event.data), source)
    return Snapshot(
        intervention_from_event(event.data),
        source,
        status=event.data["intervention"]["status"],
        effective_date=date.fromisoformat(event.data["effective_date"]),
    )


def build_runner(
    settings: ServiceSettings, runtime: ServiceRuntime | None = None
) -> ConsumerRunner:
    """The consumer of the commissioning topic; `runtime` to share one database client."""
    runtime = runtime or ServiceRuntime.connect(settings)
    topic = runtime.topic("commissioning")
    group = settings.extras["consumer_group"] or f"{settings.topic_prefix}acorn-ledger"
    commissioning_handlers = CommissioningHandlers(mongo_ledger(runtime))
    return ConsumerRunner(
        consumer=make_consumer(settings.kafka_bootstrap_servers, group, [topic]),
        producer=make_producer(settings.kafka_bootstrap_servers),
        handlers=commissioning_handlers.table(),
        batch_handler=commissioning_handlers.apply_batch,
        name="ledger",
    )


def main() -> None:
    settings = ledger_settings.load_worker()
    runtime = ServiceRuntime.connect(settings)
    runner = build_runner(settings, runtime)
    logger.info("ledger consumer started", extra=log_fields(database=settings.database))
    try:
        run_worker(settings, "ledger-consumer", runner)
    finally:
        runner.producer.close(timeout=10)
        runtime.client.close()


if __name__ == "__main__":
    main()
