"""Wires the commissioning service: real adapters from the runtime, or fakes for unit tests."""

from __future__ import annotations

from dataclasses import dataclass

from services.commissioning.adapters.repository import (
    AbstractInterventionRepository,
    AbstractProviderRepository,
    MongoInterventionRepository,
    MongoProviderRepository,
)
from shared.runtime import ServiceRuntime


@dataclass
class Commissioning:
    """What the views need: the runtime (audit log, database) and the repositories."""

    runtime: ServiceRuntime
    providers: AbstractProviderRepository
    interventions: AbstractInterventionRepository


def bootstrap(runtime: ServiceRuntime) -> Commissioning:
    return Commissioning(
        runtime=runtime,
        providers=MongoProviderRepository(runtime.db, runtime.outbox),
        interventions=MongoInterventionRepository(runtime.db, runtime.outbox),
    )
