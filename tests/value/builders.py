"""Small builders for the value method's facts, so each unit test states only what it is about."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.value.domain.model import (
    CostLine,
    Enrolment,
    Facts,
    Indicator,
    Intervention,
    NeedsAssessment,
    Observation,
    Period,
    PricePeriod,
)

FY2024 = Period(date(2024, 4, 1), date(2025, 3, 31))


def d(text: str) -> date:
    return date.fromisoformat(text)


def intervention(
    intervention_id: str,
    *,
    provider_id: str = "prov-1",
    category: str = "early_help",
    pricing_model: str = "per_child_week",
    price: int = 10_000,
    targets: tuple[str, ...] = ("attendance",),
) -> Intervention:
    return Intervention(
        intervention_id=intervention_id,
        provider_id=provider_id,
        title=f"Intervention {intervention_id}",
        category=category,
        pricing_model=pricing_model,
        prices=(PricePeriod(d("2024-01-01"), price),),
        target_indicators=targets,
    )


def enrolment(intervention_id: str, child_ref: str, start: str, end: str | None) -> Enrolment:
    return Enrolment(
        enrolment_id=f"enr-{intervention_id}-{child_ref}-{start}",
        intervention_id=intervention_id,
        child_ref=child_ref,
        start=d(start),
        end=d(end) if end else None,
    )


def indicator(
    code: str = "attendance",
    *,
    direction: str = "higher_is_better",
    threshold: Fraction | int = 5,
    unit: str = "percent",
    area: str = "enjoy_and_achieve",
) -> Indicator:
    return Indicator(code, code.title(), area, unit, direction, Fraction(threshold))


def observation(
    child_ref: str, on: str, value: float | int, code: str = "attendance", oid: str | None = None
) -> Observation:
    return Observation(
        observed_on=d(on),
        recorded_at=f"{on}T12:00:00Z",
        observation_id=oid or f"obs-{child_ref}-{code}-{on}",
        child_ref=child_ref,
        indicator_code=code,
        value=Fraction(str(value)),
    )


def line(
    intervention_id: str | None,
    child_ref: str | None,
    start: str,
    end: str,
    pence: int,
    transaction_id: str = "tx-1",
) -> CostLine:
    return CostLine(transaction_id, intervention_id, child_ref, Period(d(start), d(end)), pence)


def need(child_ref: str, on: str, level: str) -> NeedsAssessment:
    return NeedsAssessment(child_ref, d(on), f"na-{child_ref}-{on}", level)


def worked_example() -> Facts:
    """domain.md's worked example, exactly as written there."""
    return Facts(
        interventions={"A": intervention("A", price=10_000), "B": intervention("B", price=30_000)},
        enrolments=[
            enrolment("A", "C1", "2025-01-06", "2025-03-30"),
            enrolment("B", "C1", "2025-01-06", "2025-03-30"),
        ],
        indicators={"attendance": indicator()},
        observations=[observation("C1", "2025-01-03", 80), observation("C1", "2025-03-28", 92)],
        lines=[
            line("A", "C1", "2025-01-06", "2025-03-30", 120_000, "tx-a"),
            line("B", "C1", "2025-01-06", "2025-03-30", 360_000, "tx-b"),
        ],
    )


def mixed_council() -> Facts:
    """Three interventions of two providers, one targeting two indicators, odd amounts prorated
    across the quarter's edges, a block cost shared by its children and one nobody was enrolled
    for, and one intervention with too few children to show unsuppressed."""
    children = [f"C{n:02d}" for n in range(1, 13)]
    enrolments, observations, lines, needs = [], [], [], []
    for n, child in enumerate(children):
        on = ("A", "B") if n < 6 else ("B",) if n < 10 else ("C",)
        for k in on:
            enrolments.append(enrolment(k, child, "2024-09-02", "2025-02-28"))
            lines.append(line(k, child, "2024-09-02", "2025-01-19", 100_003 + 7 * n, f"tx-{k}{n}"))
        observations += [
            observation(child, "2024-08-30", 70 + n),
            observation(child, "2024-12-20", 70 + n + (9 if n % 3 else -8)),
            observation(child, "2024-08-30", 3, code="missing_episodes"),
            observation(child, "2024-12-20", 1 if n % 2 else 4, code="missing_episodes"),
        ]
        needs.append(need(child, "2024-08-01", "high" if n % 2 else "medium"))
    lines += [
        line("B", None, "2024-11-11", "2025-01-05", 250_001, "tx-block"),
        line("D", None, "2024-10-14", "2024-12-08", 33_333, "tx-nobody"),
        # before A's children started: the report moves it onto their days, the ledger does not
        line("A", None, "2024-08-01", "2024-10-31", 92_000, "tx-early"),
    ]
    return Facts(
        interventions={
            "A": intervention("A", price=10_000),
            "B": intervention("B", price=12_000, targets=("attendance", "missing_episodes")),
            "C": intervention("C", provider_id="prov-2", category="fostering"),
            "D": intervention("D", provider_id="prov-2"),
        },
        enrolments=enrolments,
        indicators={
            "attendance": indicator(),
            "missing_episodes": indicator(
                "missing_episodes", direction="lower_is_better", threshold=1, unit="count"
            ),
        },
        observations=observations,
        lines=lines,
        needs=needs,
    )
