"""What Acorn already holds of an SSDA903 import, read back through its APIs."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from services.imports.adapters.acorn_api import AcornApi
from services.imports.domain.plan import Held, HeldEnrolment, HeldReading
from services.imports.domain.ssda903_codes import PROVIDERS

COUNCIL = "commissioner"
READERS = 8  # reads in flight


def read_held(
    api: AcornApi, *, children: Iterable[str], source_system: str, observed_on: date
) -> Held:
    held = Held()
    names = {kind.name for kind in PROVIDERS.values()}
    for provider in api.all_pages("commissioning", "/providers", role=COUNCIL):
        if provider["name"] in names:
            held.providers[provider["name"]] = provider["provider_id"]
    ours = set(held.providers.values())
    for intervention in api.all_pages("commissioning", "/interventions", role=COUNCIL):
        if intervention["provider_id"] in ours:
            held.interventions[intervention["title"]] = intervention["intervention_id"]
    with ThreadPoolExecutor(READERS) as pool:
        ids = list(held.interventions.values())
        for enrolments in pool.map(lambda intervention: _enrolments_of(api, intervention), ids):
            for e in enrolments:
                key = (e["intervention_id"], e["child_ref"], date.fromisoformat(e["start_date"]))
                end = date.fromisoformat(e["end_date"]) if e["end_date"] else None
                held.enrolments[key] = HeldEnrolment(e["enrolment_id"], end, e["version"])
        day = observed_on.isoformat()
        # providers are written first and readings last: without the providers, no reading
        refs = sorted(set(children)) if held.providers else []
        for observations in pool.map(lambda ref: _observations_of(api, ref), refs):
            for o in observations:
                if o.get("source_system") == source_system and o["observed_on"] == day:
                    key = (o["child_ref"], o["indicator_code"], observed_on)
                    held.readings[key] = HeldReading(o["observation_id"], o["value"])
    return held


def _enrolments_of(api: AcornApi, intervention_id: str) -> list[dict[str, Any]]:
    return api.all_pages(
        "commissioning", "/enrolments", role=COUNCIL, intervention_id=intervention_id
    )


def _observations_of(api: AcornApi, child_ref: str) -> list[dict[str, Any]]:
    return api.all_pages("outcomes", f"/children/{child_ref}/observations", role=COUNCIL)
