"""A corrected intervention (its title or targeted indicators put right) replaces what the value
service knew of it, as any newer snapshot does."""

from __future__ import annotations

from dataclasses import replace

from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from shared.events.catalogue import commissioning as c
from tests.value import events as ev


def test_a_correction_replaces_the_title_and_targets_the_reports_use() -> None:
    commissioned = ev.intervention(
        "int-a", provider_id="prov-oak", price=10_000, targets=["atendance"]
    )
    snapshot = {
        **commissioned.data["intervention"],
        "title": "Attendance mentoring",
        "target_indicators": ["attendance"],
        "version": 2,
    }
    corrected = replace(
        commissioned,
        id="evt-corrected",
        type=c.INTERVENTION_CORRECTED,
        data={
            **commissioned.data,
            "intervention": snapshot,
            "corrected": ["title", "target_indicators"],
            "reason": "a typo in the indicator code",
        },
    )
    store = FactStore()
    try:
        model = ReadModel(store)
        model.apply(commissioned)
        model.apply(corrected)
        known = model.facts("invoiced").interventions["int-a"]
        assert (known.title, known.target_indicators) == ("Attendance mentoring", ("attendance",))
    finally:
        store.close()
