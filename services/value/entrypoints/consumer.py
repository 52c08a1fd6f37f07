"""The read-model consumer: every topic in, the value service's own read model out.

`python -m services.value.entrypoints.consumer`
"""

from __future__ import annotations

from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner
from shared.events.topics import PUBLISHING_SERVICES
from shared.kafka import make_consumer, make_producer
from shared.runtime import ServiceRuntime, run_worker

NAME = "value-read-model"
# a poll is applied as one batch: larger polls mean fewer FerretDB round trips per event
MAX_POLL_RECORDS = 5_000


def topics(runtime: ServiceRuntime) -> list[str]:
    return [runtime.topic(service) for service in PUBLISHING_SERVICES]


def build_runner(
    settings: ServiceSettings,
    *,
    runtime: ServiceRuntime | None = None,
    group_id: str | None = None,
) -> ConsumerRunner:
    """The runner; `runtime` lets a caller that owns the database client pass it in."""
    runtime = runtime or ServiceRuntime.connect(settings)
    servers = settings.kafka_bootstrap_servers
    group = group_id or f"{settings.topic_prefix}acorn.value.read-model"
    read_model = ReadModel(runtime.db)
    return ConsumerRunner(
        consumer=make_consumer(servers, group, topics(runtime)),
        producer=make_producer(servers),
        handlers=read_model.handlers(),
        batch_handler=read_model.apply_batch,
        max_poll_records=MAX_POLL_RECORDS,
        name=NAME,
    )


def main() -> None:
    settings = value_settings.load_worker()
    run_worker(settings, "value-consumer", build_runner(settings))


if __name__ == "__main__":
    main()
