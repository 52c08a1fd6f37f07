"""The synthetic council: reproducible, realistic, and with a ground truth that adds up."""

from __future__ import annotations

import json
import re
from datetime import date
from itertools import islice
from typing import Any

import pytest

from deploy.council.catalogue import CATEGORIES
from deploy.council.generate import PRESETS, Council
from shared.fields import CHILD_REF_PATTERN


def snapshot(council: Council) -> str:
    children = [
        (c.ref, c.scores, [(e.intervention, str(e.start), str(e.end)) for e in c.enrolments])
        for c in council.children
    ]
    observations = [(o.child, o.indicator, str(o.day), o.value) for o in council.observations()]
    return json.dumps(
        {
            "truth": council.ground_truth(),
            "children": children,
            "observations": observations,
            "ledger": list(council.ledger()),
        },
        sort_keys=True,
    )


def test_the_same_seed_gives_the_same_council() -> None:
    assert snapshot(Council("tiny", 7)) == snapshot(Council("tiny", 7))


def test_another_seed_gives_another_council() -> None:
    assert snapshot(Council("tiny", 7)) != snapshot(Council("tiny", 8))


@pytest.mark.parametrize(("preset", "children", "providers", "interventions"), [
    ("tiny", 20, 2, 4), ("demo", 150, 10, 20), ("default", 3_000, 150, 400),
])  # fmt: skip
def test_presets_have_their_size(
    preset: str, children: int, providers: int, interventions: int
) -> None:
    council = Council(preset, 1)
    assert (len(council.children), len(council.providers), len(council.interventions)) == (
        children,
        providers,
        interventions,
    )
    assert (council.end - council.start).days + 1 in (
        365 * PRESETS[preset].years + leap for leap in (0, 1, 2)
    )


def test_default_has_about_a_thousand_children_looked_after() -> None:
    looked_after = sum(c.pathway == "looked_after" for c in Council("default", 1).children)
    assert 850 <= looked_after <= 1150


def test_unit_prices_start_in_the_published_ranges_and_rise_each_april() -> None:
    council = Council("default", 3)
    for k in council.interventions.values():
        terms = CATEGORIES[k.category]
        first = k.prices[0][1]
        if k.pricing_model != "block_per_month":
            assert terms.price_low <= first <= terms.price_high, k
        assert [p[0].month for p in k.prices[1:]] == [4] * (len(k.prices) - 1)
        assert all(b[1] > a[1] for a, b in zip(k.prices, k.prices[1:], strict=False))


def test_a_residential_week_costs_several_times_a_fostering_week() -> None:
    council = Council("default", 3)

    def weekly(category: str) -> list[int]:
        return [k.prices[0][1] for k in council.interventions.values() if k.category == category]

    assert min(weekly("residential_care")) > 4 * max(weekly("in_house_fostering"))
    assert min(weekly("independent_fostering")) > max(weekly("in_house_fostering"))


def test_children_are_pseudonymous_references_and_enrolments_fit_the_places() -> None:
    council = Council("demo", 5)
    assert all(re.fullmatch(CHILD_REF_PATTERN, c.ref) for c in council.children)
    for k in council.interventions.values():
        for e in k.enrolments:
            day = e.start
            on_that_day = sum(o.start <= day <= o.last(council.end) for o in k.enrolments)
            assert on_that_day <= k.capacity


def test_money_is_whole_pence_some_invoices_late_and_wrong_ones_reversed() -> None:
    council = Council("demo", 5)
    items = list(council.ledger())
    lines = [line for i in items if i["kind"] != "reversal" for line in i["body"]["lines"]]
    assert all(isinstance(line["amount"], int) and line["amount"] > 0 for line in lines)
    invoices = [i for i in items if i["kind"] == "invoice"]
    wrong = {i["key"] for i in invoices if not i["correct"]}
    assert wrong
    assert wrong == {i["reverses"] for i in items if i["kind"] == "reversal"}
    payments = [i for i in items if i["kind"] == "payment"]
    assert len(payments) == sum(1 for i in invoices if i["correct"])

    def lag(invoice: dict[str, Any]) -> int:
        received = date.fromisoformat(invoice["body"]["accounting_date"])
        served = date.fromisoformat(invoice["body"]["lines"][0]["service_period_end"])
        return (received - served).days

    assert min(map(lag, invoices)) >= 0
    assert max(map(lag, invoices)) > 60


def test_ground_truth_adds_up() -> None:
    council = Council("demo", 5)
    truth = council.ground_truth()
    rows = truth["interventions"]
    assert set(rows) == set(council.interventions)
    invoiced = sum(
        line["amount"]
        for i in council.ledger()
        if i["kind"] == "invoice" and i["correct"]
        for line in i["body"]["lines"]
    )
    assert sum(r["spend_pence"] for r in rows.values()) == invoiced
    for row in rows.values():
        assert set(row["true_effects"]) == set(row["target_indicators"])
        assert all(e > 0 for effects in row["true_effects"].values() for e in effects.values())
        if row["true_better_off"]:
            assert row["true_cost_per_better_off_pence"] == pytest.approx(
                row["spend_pence"] / row["true_better_off"], abs=1
            )
        else:
            assert row["true_cost_per_better_off_pence"] is None
    assert sum(r["true_better_off"] for r in rows.values()) > 0
    assert truth["counts"]["observations"] == sum(1 for _ in council.observations())


def test_observations_stay_in_range_and_where_the_provider_holds_the_child() -> None:
    council = Council("demo", 5)
    for o in islice(council.observations(), 5_000):
        assert o.enrolment.start <= o.day <= o.enrolment.last(council.end)
        assert 0 <= o.value <= 365


def test_the_largest_preset_streams() -> None:
    council = Council("largest", 1)
    assert len(council.children) == 60_000
    first = list(islice(council.observations(), 1_000))
    assert len(first) == 1_000
