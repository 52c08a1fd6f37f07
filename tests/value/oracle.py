"""An independent computation of the reference method, for the tests: pandas over the raw events.

Where the service works with intervals and rates, this expands everything to single days (one row
per child, intervention and day), so the two share no arithmetic. Money stays exact as Fractions
in object columns.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pandas as pd

from shared.events.envelope import Envelope

HORIZON = date(2026, 3, 31)  # open enrolments are expanded up to here


def _exact(value: Any) -> Fraction:
    """The decimal the number was written as (numpy scalars print like Python numbers)."""
    return Fraction(str(value))


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _latest(rows: list[dict[str, Any]], key: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.sort_values("version").drop_duplicates(key, keep="last")


def oracle(
    events: list[Envelope],
    *,
    start: date,
    end: date,
    basis: str = "invoiced",
    window_days: int = 180,
) -> dict[str, dict[str, Any]]:
    """Per intervention: spend, children, child_days, better_off, worse_off (exact)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event.type.split(".")[-1], []).append(event.data)
    interventions = _latest(
        [d["intervention"] for t in by_type if t.startswith("intervention_") for d in by_type[t]],
        "intervention_id",
    ).set_index("intervention_id")
    enrolments = _latest(
        [d["enrolment"] for t in ("child_enrolled", "enrolment_ended") for d in by_type.get(t, [])],
        "enrolment_id",
    )
    indicators = _latest([d["indicator"] for d in by_type["indicator_added"]], "code").set_index(
        "code"
    )

    # enrolled child-days
    enrolled = pd.DataFrame(
        [
            {"k": e.intervention_id, "c": e.child_ref, "day": day}
            for e in enrolments.itertuples()
            for day in _days(
                date.fromisoformat(e.start_date),
                date.fromisoformat(e.end_date) if isinstance(e.end_date, str) else HORIZON,
            )
        ]
    ).drop_duplicates()

    # spend per day
    spend_rows = []
    for t in by_type["transaction_posted"]:
        if t["basis"] != basis:
            continue
        for line in t["lines"]:
            days = _days(
                date.fromisoformat(line["service_period_start"]),
                date.fromisoformat(line["service_period_end"]),
            )
            k, cost = t["intervention_id"], line["cost_pence"]
            if line["child_ref"] is not None:
                spend_rows += [
                    {"k": k, "c": line["child_ref"], "day": d, "amount": Fraction(cost, len(days))}
                    for d in days
                ]
                continue
            sharing = (
                enrolled[(enrolled.k == k) & enrolled.day.isin(days)] if k else enrolled.iloc[0:0]
            )
            if len(sharing):
                spend_rows += [
                    {"k": k, "c": r.c, "day": r.day, "amount": Fraction(cost, len(sharing))}
                    for r in sharing.itertuples()
                ]
            else:
                spend_rows += [
                    {
                        "k": k or "(no intervention)",
                        "c": None,
                        "day": d,
                        "amount": Fraction(cost, len(days)),
                    }
                    for d in days
                ]
    spend = pd.DataFrame(spend_rows)
    in_period = spend[(spend.day >= start) & (spend.day <= end)]
    result: dict[str, dict[str, Any]] = {
        k: {
            "spend": sum(group.amount, Fraction(0)),
            "children": set(),
            "child_days": 0,
            "better_off": Fraction(0),
            "worse_off": Fraction(0),
        }
        for k, group in in_period.groupby("k")
    }
    served = enrolled[(enrolled.day >= start) & (enrolled.day <= end)]
    # method 1.1: only interventions the child was enrolled on during the period share a change
    enrolled_in_period = {c: set(group.k) for c, group in served.groupby("c")}
    for k, group in served.groupby("k"):
        row = result.setdefault(
            k,
            {
                "spend": Fraction(0),
                "children": set(),
                "child_days": 0,
                "better_off": Fraction(0),
                "worse_off": Fraction(0),
            },
        )
        row["children"] = set(group.c)
        row["child_days"] = len(group)

    # current observations
    observations = pd.DataFrame(
        by_type["observation_recorded"] + by_type.get("observation_corrected", [])
    )
    gone = set(observations.get("supersedes", pd.Series(dtype=object)).dropna())
    gone |= {w["observation_id"] for w in by_type.get("observation_withdrawn", [])}
    observations = observations[~observations.observation_id.isin(gone)].copy()
    observations["day"] = observations.observed_on.map(date.fromisoformat)
    observations = observations.sort_values(["day", "recorded_at", "observation_id"])

    for code, indicator in indicators.iterrows():
        targeting = [k for k, i in interventions.iterrows() if code in i.target_indicators]
        sign = 1 if indicator.direction == "higher_is_better" else -1
        threshold = _exact(indicator.improvement_threshold)
        scoped = enrolments[enrolments.intervention_id.isin(targeting)]
        scoped = scoped[scoped.start_date.map(date.fromisoformat) <= end]
        scoped = scoped[
            scoped.end_date.map(
                lambda e: e is None or not isinstance(e, str) or date.fromisoformat(e) >= start
            )
        ]
        for child, mine in scoped.groupby("child_ref"):
            first = min(mine.start_date.map(date.fromisoformat))
            obs = observations[
                (observations.child_ref == child) & (observations.indicator_code == code)
            ]
            before = obs[(obs.day <= first) & (obs.day >= first - timedelta(days=window_days))]
            after = obs[obs.day > first]
            if len(before):
                baseline = before.iloc[-1]
            elif len(after):
                baseline = after.iloc[0]
            else:
                continue
            upto = obs[obs.day <= end]
            if not len(upto) or upto.iloc[-1].day <= baseline.day:
                continue
            latest = upto.iloc[-1]
            delta = (_exact(latest.value) - _exact(baseline.value)) * sign
            better = delta >= threshold
            worse = not better and delta <= -threshold
            window_days_ = enrolled[
                (enrolled.c == child)
                & enrolled.k.isin(targeting)
                & enrolled.k.isin(enrolled_in_period.get(child, ()))
                & (enrolled.day >= baseline.day)
                & (enrolled.day <= latest.day)
            ]
            days = window_days_.groupby("k").size().to_dict()
            if not days:
                continue
            window_spend = spend[
                (spend.c == child) & (spend.day >= baseline.day) & (spend.day <= latest.day)
            ]
            cost = {k: sum(window_spend[window_spend.k == k].amount, Fraction(0)) for k in days}
            if sum(cost.values()) > 0 and all(v >= 0 for v in cost.values()):
                weights = cost
            else:
                weights = {k: Fraction(v) for k, v in days.items()}
            total = sum(weights.values())
            for k, w in weights.items():
                row = result[k]
                if better:
                    row["better_off"] += w / total
                if worse:
                    row["worse_off"] += w / total
    return result
