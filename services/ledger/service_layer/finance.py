"""Finance's month-end questions: forecast outturn, exceptions, month close, reference tables.

Every report reads the facts as recorded by its `as_at` moment (default: now) and says when it was
generated and as at when, so a report given on 5 May can be produced again, the same, later.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from services.ledger.adapters.finance_records import AsAt, DuplicateRecord, SavedForecast
from services.ledger.domain import closing, exceptions, forecast, reference
from services.ledger.domain.calendar import (
    ONE_DAY,
    financial_year,
    financial_year_span,
    month_start,
    overlap,
)
from services.ledger.domain.forecast import Assumptions, Outturn, SavedOutturn
from services.ledger.domain.model import Conflict, NotFound
from services.ledger.service_layer.handlers import Ledger
from shared.suppression import SUPPRESSED

NO_COMPARISON = "none"
SAVED_FIELDS = (
    "intervention_id",
    "provider_id",
    "category",
    "cost_centre",
    "budget_pence",
    "actual_pence",
    "committed_pence",
    "growth_pence",
)


def as_at(ledger: Ledger, moment: datetime | None) -> AsAt:
    """The facts as recorded by `moment` (now if None; a moment to come is now)."""
    now = ledger.now()
    return ledger.records.facts(ledger.transactions).as_at(moment or now, now=now)


def stamp(view: AsAt) -> dict[str, str]:
    return {"generated_at": stamp_time(view.generated_at), "as_at": stamp_time(view.moment)}


def stamp_time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def row(item: Any) -> dict[str, Any]:
    """A dataclass as an answer's row: dates as ISO text."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(item).items()}


# --- forecast outturn ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastQuery:
    fy: int
    group_by: str = "intervention"
    basis: str = "accrued"
    actuals_to: date | None = None
    open_ended_to: str = "year_end"
    demand_growth_bp: int = 0
    suspended: str = "paused"
    as_at: datetime | None = None
    compare_with: str | None = None  # a saved forecast's id, "none", or None: the latest saved


def default_actuals_to(moment: datetime, year: tuple[date, date]) -> date:
    """The last day of the month before `moment`'s, kept within the year (or the day before it)."""
    last_month_end = month_start(moment.date()) - ONE_DAY
    return max(min(last_month_end, year[1]), year[0] - ONE_DAY)


def assumptions_of(query: ForecastQuery, moment: datetime) -> Assumptions:
    year = financial_year_span(date(query.fy, 4, 1))
    return Assumptions(
        year=year,
        actuals_to=query.actuals_to or default_actuals_to(moment, year),
        basis=query.basis,
        open_ended_to=query.open_ended_to,
        demand_growth_bp=query.demand_growth_bp,
        suspended=query.suspended,
    )


def outturns(view: AsAt, assumptions: Assumptions) -> list[Outturn]:
    """Every intervention's outturn for the year, from the facts as at the view's moment
    (worked out once per view and assumptions)."""
    result: list[Outturn] = view.remembered(
        ("outturns", assumptions), lambda: _outturns(view, assumptions)
    )
    return result


def _outturns(view: AsAt, assumptions: Assumptions) -> list[Outturn]:
    lines: dict[str, list[forecast.Line]] = defaultdict(list)
    for txn in view.transactions:
        period = txn.service_period
        if (
            txn.basis == assumptions.basis
            and txn.intervention_id
            and period
            and overlap(period, assumptions.year)
        ):
            lines[txn.intervention_id] += [
                forecast.Line(x.start, x.end, x.cost_pence) for x in txn.lines
            ]
    cost_centres = view.table(reference.COST_CENTRES)
    state = view.commissioning
    return [
        forecast.outturn(
            terms,
            enrolments=state.enrolments_of(intervention_id),
            lines=lines.get(intervention_id, ()),
            assumptions=assumptions,
            suspended=state.statuses.get(intervention_id) == "suspended",
            cost_centre=str(cost_centres.get(intervention_id, reference.UNASSIGNED)),
        )
        for intervention_id, terms in sorted(state.interventions.items())
    ]


def assumptions_out(assumptions: Assumptions) -> dict[str, Any]:
    return {
        "financial_year": assumptions.label,
        "year_start": assumptions.year[0].isoformat(),
        "year_end": assumptions.year[1].isoformat(),
        "basis": assumptions.basis,
        "actuals_to": assumptions.actuals_to.isoformat(),
        "open_ended_to": assumptions.open_ended_to,
        "demand_growth_bp": assumptions.demand_growth_bp,
        "suspended": assumptions.suspended,
    }


def figures_out(key: str | None, figures: forecast.Figures) -> dict[str, Any]:
    return {
        "key": key,
        "budget_pence": figures.budget_pence,
        "actual_pence": figures.actual_pence,
        "committed_pence": figures.committed_pence,
        "growth_pence": figures.growth_pence,
        "forecast_pence": figures.forecast_pence,
        "variance_pence": figures.variance_pence,
        "variance_percent": figures.variance_percent,
        "previous_forecast_pence": figures.previous_forecast_pence,
        "movement_pence": figures.movement_pence,
    }


def _compared(query: ForecastQuery, view: AsAt, *, ledger: Ledger) -> SavedForecast | None:
    if query.compare_with == NO_COMPARISON:
        return None
    label = financial_year(date(query.fy, 4, 1))
    saved = ledger.records.saved_forecasts(label)
    if query.compare_with is not None:
        chosen = next((s for s in saved if s.forecast_id == query.compare_with), None)
        if chosen is None:
            raise NotFound("compare_with", f"no saved forecast {query.compare_with!r} for {label}")
        return chosen
    earlier = [s for s in saved if s.saved_at <= view.moment]
    return earlier[-1] if earlier else None


def forecast_report(query: ForecastQuery, *, ledger: Ledger) -> dict[str, Any]:
    view = as_at(ledger, query.as_at)
    assumptions = assumptions_of(query, view.moment)
    items = outturns(view, assumptions)
    compared = _compared(query, view, ledger=ledger)
    previous = (
        [
            SavedOutturn(**{k: row[k] for k in SavedOutturn.__dataclass_fields__})
            for row in compared.interventions
        ]
        if compared
        else None
    )
    rows = forecast.grouped(items, group_by=query.group_by, previous=previous)
    return {
        "report": "forecast_outturn",
        **stamp(view),
        "group_by": query.group_by,
        "assumptions": assumptions_out(assumptions),
        "compared_with": saved_summary(compared) if compared else None,
        "rows": [figures_out(key, figures) for key, figures in rows.items()],
        "total": figures_out("total", forecast.total(rows, compared=compared is not None)),
    }


def saved_summary(saved: SavedForecast) -> dict[str, Any]:
    return {
        "forecast_id": saved.forecast_id,
        "financial_year": saved.financial_year,
        "saved_by": saved.saved_by,
        "saved_at": stamp_time(saved.saved_at),
        "as_at": stamp_time(saved.as_at),
        "parameters": saved.parameters,
    }


def save_forecast(query: ForecastQuery, *, by: str, ledger: Ledger) -> SavedForecast:
    """Compute the forecast as at now and keep it: who, when, parameters and each intervention's
    figures (with the groups it was in), for later forecasts to be compared with."""
    view = as_at(ledger, None)
    assumptions = assumptions_of(query, view.moment)
    saved = SavedForecast(
        forecast_id=f"{assumptions.label}:{stamp_time(view.moment)}:{uuid.uuid4().hex[:8]}",
        financial_year=assumptions.label,
        saved_by=by,
        saved_at=view.moment,
        as_at=view.moment,
        parameters=assumptions_out(assumptions),
        interventions=[
            {
                **{k: getattr(item, k) for k in SAVED_FIELDS},
                "forecast_pence": item.forecast_pence,
            }
            for item in outturns(view, assumptions)
        ],
    )
    ledger.records.add_saved_forecast(saved)
    return saved


def saved_forecasts(fy: int, *, ledger: Ledger) -> list[SavedForecast]:
    return ledger.records.saved_forecasts(financial_year(date(fy, 4, 1)))


# --- exceptions ----------------------------------------------------------------------------------


def high_cost(
    *,
    on: date,
    threshold_pence: int,
    open_ended_to: str,
    suppression_threshold: int,
    moment: datetime | None,
    ledger: Ledger,
) -> dict[str, Any]:
    """High-cost placements; categories with fewer than `suppression_threshold` children have
    their rows withheld and their counts suppressed (0: nothing is)."""
    view = as_at(ledger, moment)
    found = exceptions.high_cost_placements(
        view.commissioning,
        on=on,
        year_end=financial_year_span(on)[1],
        threshold_pence=threshold_pence,
        open_ended_to=open_ended_to,
    )
    children: dict[str, set[str]] = defaultdict(set)
    for placement in found:
        children[placement.category].add(placement.child_ref)
    small = {c for c, refs in children.items() if len(refs) < suppression_threshold}
    shown = [p for p in found if p.category not in small]
    return {
        "report": "high_cost_placements",
        **stamp(view),
        "on": on.isoformat(),
        "threshold_weekly_pence": threshold_pence,
        "open_ended_to": open_ended_to,
        "suppression_threshold": suppression_threshold,
        "by_category": [
            {"category": c, "children": SUPPRESSED if c in small else len(refs)}
            for c, refs in sorted(children.items())
        ],
        "withheld_rows": len(found) - len(shown),
        "rows": [row(p) for p in shown],
    }


def above_ceiling(*, on: date, moment: datetime | None, ledger: Ledger) -> dict[str, Any]:
    view = as_at(ledger, moment)
    found = exceptions.prices_above_ceiling(
        view.commissioning.interventions.values(),
        view.table(reference.FRAMEWORK_CEILINGS),
        on=on,
    )
    return {
        "report": "prices_above_ceiling",
        **stamp(view),
        "on": on.isoformat(),
        "rows": [{**row(p), "excess_pence": p.excess_pence} for p in found],
    }


def paid_after_end(*, moment: datetime | None, ledger: Ledger) -> dict[str, Any]:
    view = as_at(ledger, moment)
    return {
        "report": "paying_for_what_ended",
        **stamp(view),
        "invoiced_after_end": [
            row(x) for x in exceptions.invoiced_after_end(view.transactions, view.commissioning)
        ],
        "accrued_while_suspended": [
            row(x)
            for x in exceptions.accrued_while_suspended(view.transactions, view.commissioning)
        ],
    }


def budget_run_out(query: ForecastQuery, *, ledger: Ledger) -> dict[str, Any]:
    view = as_at(ledger, query.as_at)
    assumptions = assumptions_of(query, view.moment)
    year = assumptions.year
    over = [
        (item, month) for item in outturns(view, assumptions) if (month := item.run_out_month(year))
    ]
    return {
        "report": "budgets_that_run_out",
        **stamp(view),
        "assumptions": assumptions_out(assumptions),
        "rows": [
            {
                "intervention_id": item.intervention_id,
                "provider_id": item.provider_id,
                "category": item.category,
                "budget_pence": item.budget_pence,
                "forecast_pence": item.forecast_pence,
                "overspend_pence": item.forecast_pence - item.budget_pence,
                "run_out_month": month,
            }
            for item, month in sorted(over, key=lambda pair: (pair[1], pair[0].intervention_id))
        ],
    }


# --- month close and reference tables ------------------------------------------------------------


def act_on_month(
    month: str, action: str, *, by: str, reason: str | None, ledger: Ledger
) -> closing.MonthAction:
    """Close or reopen a month; a racing action on the same month is refused (409)."""
    done = closing.next_action(
        month, action, ledger.records.month_actions(), by=by, at=ledger.now(), reason=reason
    )
    try:
        ledger.records.add_month_action(done)
    except DuplicateRecord:
        raise Conflict("month", f"{month} was changed at the same moment: look again") from None
    return done


def months(*, moment: datetime | None, ledger: Ledger) -> dict[str, Any]:
    view = as_at(ledger, moment)
    actions = sorted(
        (a for a in ledger.records.month_actions() if a.at <= view.moment),
        key=lambda a: (a.month, a.sequence),
    )
    return {
        **stamp(view),
        "closed": sorted(view.closed_months),
        "history": [{**row(a), "at": stamp_time(a.at)} for a in actions],
    }


def set_entry(
    table: str, key: str, value: int | str | None, *, by: str, ledger: Ledger
) -> reference.TableEntry:
    entry = reference.next_entry(
        table, key, value, ledger.records.table_entries(), by=by, at=ledger.now()
    )
    try:
        ledger.records.add_table_entry(entry)
    except DuplicateRecord:
        raise Conflict("key", f"{key} was changed at the same moment: look again") from None
    return entry


def table(name: str, *, moment: datetime | None, ledger: Ledger) -> dict[str, Any]:
    view = as_at(ledger, moment)
    return {**stamp(view), "table": name, "entries": view.table(name)}
