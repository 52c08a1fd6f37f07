"""Use cases: each report loads what it needs from the read model and runs the pure method."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from services.value.domain.cost_per_outcome import cost_per_outcome
from services.value.domain.model import Period
from services.value.domain.presentation import count, figures_row, pence, pounds, quotient
from services.value.domain.queries import Source
from services.value.domain.reconciliation import reconcile
from services.value.domain.report_card import Card, report_cards
from shared.events.catalogue.ledger import DEFAULT_BASIS, nothing_recorded_notice

T = TypeVar("T")


class ReadModelView(Protocol):
    def source(self, basis: str) -> Source:
        """The facts on `basis`, as the method's queries read them."""
        ...

    def transactions(self, basis: str) -> list[dict[str, Any]]: ...

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or its result for `key` if nothing changed since it was computed."""
        ...


@dataclass(frozen=True)
class ReportQuery:
    period: Period
    basis: str = DEFAULT_BASIS
    rule: str = "cost_share"
    group_by: str = "intervention"
    suppression_threshold: int = 5
    baseline_window_days: int = 180

    def header(self, report: str, source: Source) -> dict[str, Any]:
        """What every report says about itself, with a notice when nothing is recorded on its
        basis for its period: its sums of money are then "nothing recorded", not "nothing
        spent" (an accrued report before any accrual run), and must not be read as the latter."""
        recorded = basis_has_spend(source, self.period)
        return {
            "report": report,
            "method": "reference value method, version 1.1",
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "basis": self.basis,
            "rule": self.rule,
            "group_by": self.group_by,
            "suppression_threshold": self.suppression_threshold,
            "spend_recorded_on_basis": recorded,
            "notice": None if recorded else nothing_recorded_notice(self.basis),
        }


def basis_has_spend(source: Source, period: Period) -> bool:
    """Whether any cost line on the source's basis has a service period meeting `period`."""
    [(lines,)] = source.rows(
        "SELECT count(*) FROM ledger_lines WHERE basis = $basis"
        " AND service_period_start <= $last AND service_period_end >= $first",
        basis=source.basis,
        first=period.start,
        last=period.end,
    )
    return lines > 0


# each grouping's labels by key, where the facts name its groups
LABELS = {
    "intervention": "SELECT intervention_id, title FROM interventions",
    "provider": "SELECT provider_id, name FROM providers",
    "indicator": "SELECT code, name FROM indicators",
}


def by_label(source: Source, group_by: str, keys: Iterable[str]) -> list[tuple[str, str]]:
    """(label, key) in the order a reader looks for them: by label (ids mean nothing to people).
    A provider the facts do not name is its id; any other group they do not name, its key
    in words."""
    named = dict(source.rows(LABELS[group_by])) if group_by in LABELS else {}
    labelled = [
        (named.get(key, key if group_by == "provider" else key.replace("_", " ")), key)
        for key in keys
    ]
    return sorted(labelled, key=lambda item: (item[0].casefold(), item[1]))


def build_cost_per_outcome(read_model: ReadModelView, query: ReportQuery) -> dict[str, Any]:
    return read_model.cached(
        ("cost_per_outcome", query), lambda: _cost_per_outcome(read_model, query)
    )


def _cost_per_outcome(read_model: ReadModelView, query: ReportQuery) -> dict[str, Any]:
    source = read_model.source(query.basis)
    result = cost_per_outcome(
        source,
        query.period,
        rule=query.rule,
        group_by=query.group_by,
        window_days=query.baseline_window_days,
    )
    threshold = query.suppression_threshold
    return {
        **query.header("cost_per_outcome", source),
        "rows": [
            {"group": key, "label": label, **figures_row(result.rows[key], threshold=threshold)}
            for label, key in by_label(source, query.group_by, result.rows)
        ],
        "total": {"group": "all", "label": "All", **figures_row(result.total, threshold=threshold)},
    }


def build_reconciliation(read_model: ReadModelView, query: ReportQuery) -> dict[str, Any]:
    return read_model.cached(("reconciliation", query), lambda: _reconciliation(read_model, query))


def _reconciliation(read_model: ReadModelView, query: ReportQuery) -> dict[str, Any]:
    kinds = {t["_id"]: t["kind"] for t in read_model.transactions(query.basis)}
    source = read_model.source(query.basis)
    result = reconcile(source, query.period)
    return {
        **query.header("reconciliation", source),
        "report_spend_pence": pence(result.report_total),
        "report_spend": pounds(result.report_total),
        "ledger_spend_pence": pence(result.ledger_total),
        "ledger_spend": pounds(result.ledger_total),
        "difference_pence": pence(result.report_total - result.ledger_total),
        "balanced": result.report_total == result.ledger_total,
        "transactions": len(result.per_transaction),
        "differences": [
            {
                "transaction_id": item.transaction_id,
                "kind": kinds.get(item.transaction_id),
                "ledger_pence": pence(item.ledger),
                "report_pence": pence(item.report),
                "difference_pence": pence(item.report - item.ledger),
                "difference_exact": str(item.report - item.ledger),
            }
            for item in result.differences
        ],
    }


def build_report_card(read_model: ReadModelView, query: ReportQuery) -> dict[str, Any]:
    return read_model.cached(("report_card", query), lambda: _report_card(read_model, query))


def _report_card(read_model: ReadModelView, query: ReportQuery) -> dict[str, Any]:
    source = read_model.source(query.basis)
    cards = report_cards(
        source, query.period, group_by=query.group_by, window_days=query.baseline_window_days
    )
    return {
        **query.header("report_card", source),
        "cards": [
            card_view(cards[key], label, query.suppression_threshold)
            for label, key in by_label(source, query.group_by, cards)
        ],
    }


def card_view(card: Card, label: str, threshold: int) -> dict[str, Any]:
    """The card's figures and the three questions answered in plain language."""
    children = len(card.children)
    served = count(children, children, threshold)
    weeks = quotient(card.child_days, 7, 1)
    current = count(len(card.current), len(card.current), threshold)
    current_share = (
        _percent(len(card.current), children) if isinstance(current, int) and children else None
    )
    per_child_week = card.cost_per_child_week
    unit_cost = pounds(per_child_week)
    spent = pounds(card.spend)
    median_days = card.reporting.median_days
    indicators = []
    for code, result in sorted(card.indicators.items()):
        measured = len(result.measured)
        better = count(len(result.better_off), len(result.better_off), threshold)
        share = (
            _percent(len(result.better_off), measured)
            if isinstance(better, int) and measured
            else None
        )
        indicators.append(
            {
                "indicator": code,
                "children_measured": count(measured, measured, threshold),
                "better_off": better,
                "better_off_percent": share,
                "sentence": f"{code}: {better} of {count(measured, measured, threshold)} children "
                f"measured are better off" + (f" ({share}%)." if share is not None else "."),
            }
        )
    return {
        "group": card.key,
        "label": label,
        "how_much": {
            "children_served": served,
            "child_weeks": weeks,
            "spend_pence": pence(card.spend),
            "spend": spent,
            "sentence": f"We worked with {served} {'child' if served == 1 else 'children'} "
            f"for {weeks} child-weeks and spent {spent}.",
        },
        "how_well": {
            "cost_per_child_week_pence": pence(per_child_week),
            "cost_per_child_week": unit_cost,
            "children_with_current_outcome_data": current,
            "current_outcome_data_percent": current_share,
            "median_days_to_report": median_days,
            "observations_reported": card.reporting.observations,
            "observations_reported_within_30_days": card.reporting.timely,
            "sentence": (f"A child-week cost {unit_cost}; " if unit_cost else "No child-weeks; ")
            + (
                f"{current_share}% of children have outcome data from the last 90 days; "
                if current_share is not None
                else f"current outcome data: {current}; "
            )
            + (
                f"outcomes were reported a median {median_days} days after they were observed."
                if median_days is not None
                else "no outcomes were reported in the period."
            ),
        },
        "is_anyone_better_off": indicators,
    }


def _percent(part: int, whole: int) -> str:
    return quotient(100 * part, whole, 1)
