"""A seeded council: a few hundred children's worth of the events the three services publish.

It exercises what the method has to get right: several interventions per child, block contracts,
unallocated spend, observations before enrolment, missing baselines, lower-is-better and yes/no
indicators, corrections, withdrawals, reversals, price amendments and three cost bases.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from shared.events.envelope import Envelope
from tests.value import events as ev

FY_START = date(2024, 4, 1)
INDICATORS = {
    "attendance": {"threshold": 5, "direction": "higher_is_better", "unit": "percent"},
    "missing_episodes": {
        "threshold": 1,
        "direction": "lower_is_better",
        "unit": "count",
        "area": "stay_safe",
    },
    "in_education": {"threshold": 1, "direction": "higher_is_better", "unit": "yes_no"},
}
PROVIDERS = ("prov-oak", "prov-ash", "prov-elm")
INTERVENTIONS = (
    # id, provider, category, pricing, price, targets, block
    (
        "int-mentor",
        "prov-oak",
        "education_support",
        "per_child_week",
        12_500,
        ["attendance"],
        False,
    ),
    (
        "int-family",
        "prov-oak",
        "family_support",
        "per_child_week",
        30_000,
        ["attendance", "missing_episodes"],
        False,
    ),
    ("int-therapy", "prov-ash", "therapeutic", "per_session", 8_000, ["missing_episodes"], False),
    (
        "int-hub",
        "prov-ash",
        "early_help",
        "block_per_month",
        400_000,
        ["attendance", "in_education"],
        True,
    ),
    (
        "int-return",
        "prov-elm",
        "education_support",
        "per_child_day",
        2_000,
        ["in_education"],
        False,
    ),
    ("int-empty", "prov-elm", "other", "block_per_month", 150_000, ["attendance"], True),
)


def day(offset: int) -> date:
    return FY_START + timedelta(days=offset)


def generate(children: int = 300, seed: int = 6) -> dict[str, list[Envelope]]:
    rng = random.Random(seed)
    topics: dict[str, list[Envelope]] = {"commissioning": [], "outcomes": [], "ledger": []}
    commissioning, outcomes, ledger = topics["commissioning"], topics["outcomes"], topics["ledger"]
    commissioning.extend(ev.provider(p, name=f"{p[5:].title()} Services") for p in PROVIDERS)
    for k, provider, category, pricing, price, targets, _ in INTERVENTIONS:
        first = ev.intervention(
            k,
            provider_id=provider,
            price=price,
            targets=targets,
            category=category,
            pricing_model=pricing,
        )
        amended = ev.intervention(
            k,
            provider_id=provider,
            price=price + 1_000,
            targets=targets,
            category=category,
            pricing_model=pricing,
            version=2,
        )
        amended.data["intervention"]["prices"].append(
            {"effective_from": "2024-10-01", "unit_price_pence": price + 1_000}
        )
        commissioning.extend([amended, first])  # the newer snapshot may arrive first
    outcomes.extend(ev.indicator(code, **spec) for code, spec in INDICATORS.items())

    tx = 0

    def post(k: str, provider: str, lines: list, basis: str = "invoiced") -> str:
        nonlocal tx
        tx += 1
        tid = f"tx-{tx:05d}"
        ledger.append(
            ev.transaction(
                tid,
                intervention_id=k,
                provider_id=provider,
                lines=lines,
                basis=basis,
                kind="invoice" if basis == "invoiced" else "payment",
            )
        )
        return tid

    obs = 0
    for n in range(children):
        child = f"child-{n:04d}"
        outcomes.append(
            ev.needs(
                f"na-{n}",
                child_ref=child,
                on=day(rng.randint(0, 60)).isoformat(),
                level=rng.choice(("low", "medium", "high", "complex")),
            )
        )
        chosen = rng.sample([i for i in INTERVENTIONS if i[0] != "int-empty"], rng.randint(1, 2))
        targeted: set[str] = set()
        first_start = None
        for e, (k, provider, _, _, price, targets, block) in enumerate(chosen):
            start = rng.randint(0, 250)
            end = min(364, start + rng.randint(14, 180))
            open_ended = rng.random() < 0.1
            commissioning.append(
                ev.enrolment(
                    f"enr-{n}-{e}",
                    intervention_id=k,
                    provider_id=provider,
                    child_ref=child,
                    start=day(start).isoformat(),
                    end=None if open_ended else day(end).isoformat(),
                )
            )
            targeted.update(targets)
            first_start = start if first_start is None else min(first_start, start)
            if not block:
                # monthly invoices per child; some paid as well, one in ten reversed and reissued
                for m_start in range(start, end + 1, 30):
                    m_end = min(end, m_start + 29)
                    cost = price * (m_end - m_start + 1) // 7
                    lines = [(child, day(m_start).isoformat(), day(m_end).isoformat(), cost)]
                    tid = post(k, provider, lines)
                    if rng.random() < 0.1:
                        negated = [(c, s, t, -v) for c, s, t, v in lines]
                        ledger.append(
                            ev.transaction(
                                f"{tid}-rev",
                                intervention_id=k,
                                provider_id=provider,
                                lines=negated,
                                kind="reversal",
                                reverses=tid,
                            )
                        )
                        post(k, provider, [(child, lines[0][1], lines[0][2], cost - 500)])
                    if rng.random() < 0.6:
                        post(k, provider, lines, basis="paid")
        for code in sorted(targeted):
            if rng.random() < 0.1:
                continue  # never measured: no baseline
            spec = INDICATORS[code]
            value = (
                rng.randint(40, 95)
                if spec["unit"] == "percent"
                else rng.randint(0, 1 if spec["unit"] == "yes_no" else 6)
            )
            when = (first_start or 0) - rng.randint(-20, 200)  # sometimes long before enrolment
            for _ in range(rng.randint(1, 4)):
                obs += 1
                oid = f"obs-{obs:06d}"
                observed = day(max(-200, min(364, when)))
                recorded = observed + timedelta(days=rng.randint(0, 45))
                outcomes.append(
                    ev.observation(
                        oid,
                        child_ref=child,
                        code=code,
                        value=value,
                        on=observed.isoformat(),
                        provider_id="prov-oak",
                        recorded_at=f"{recorded.isoformat()}T10:00:00Z",
                    )
                )
                if rng.random() < 0.08:
                    obs += 1
                    outcomes.append(
                        ev.observation(
                            f"obs-{obs:06d}",
                            child_ref=child,
                            code=code,
                            value=max(0, value - 3),
                            on=observed.isoformat(),
                            provider_id="prov-oak",
                            supersedes=oid,
                            recorded_at=f"{recorded.isoformat()}T11:00:00Z",
                        )
                    )
                elif rng.random() < 0.04:
                    outcomes.append(
                        ev.withdrawal(oid, child_ref=child, code=code, provider_id="prov-oak")
                    )
                step = rng.randint(-8, 15) if spec["unit"] == "percent" else rng.randint(-1, 1)
                value = value + step
                if spec["unit"] == "yes_no":
                    value = min(1, max(0, value))
                value = max(0, min(100, value))
                when += rng.randint(20, 90)
    for month in range(12):
        start, end = day(month * 30), day(min(364, month * 30 + 29))
        post("int-hub", "prov-ash", [(None, start.isoformat(), end.isoformat(), 400_000)])
        post("int-hub", "prov-ash", [(None, start.isoformat(), end.isoformat(), 400_000)], "paid")
        # nobody is ever enrolled on int-empty: all of it is unallocated spend
        post("int-empty", "prov-elm", [(None, start.isoformat(), end.isoformat(), 150_000)])
    post(None, None, [(None, "2024-06-01", "2024-06-30", 99_999)])  # tagged to no intervention
    for events in topics.values():
        rng.shuffle(events)  # arrival order is anybody's guess
    return topics
