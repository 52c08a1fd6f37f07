"""`./dev finance`: the forecast outturn and its exceptions in the terminal, from the ledger.

./dev finance forecast --fy 2025 [--group-by category] [--basis accrued] [--actuals-to DATE]
                       [--open-ended-to year_end] [--demand-growth-bp 0] [--as-at MOMENT]
./dev finance exceptions --fy 2025 [--on DATE] [--threshold-pence 1000000] [--as-at MOMENT]

Read from the ledger's database as finance sees it (small numbers shown); the same figures as
`GET /forecast` and `GET /exceptions/...`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TextIO

from services.ledger import settings as ledger_settings
from services.ledger.bootstrap import mongo_ledger
from services.ledger.domain.exceptions import DEFAULT_HIGH_COST_WEEKLY_PENCE
from services.ledger.domain.forecast import GROUPINGS, OPEN_ENDED, SUSPENDED
from services.ledger.domain.model import RuleBroken
from services.ledger.service_layer import finance
from services.ledger.service_layer.handlers import Ledger
from shared.money import format_pounds
from shared.runtime import ServiceRuntime

Column = tuple[str, str, int]  # key, title, width
FORECAST_COLUMNS: tuple[Column, ...] = (
    ("key", "group", 24),
    ("budget_pence", "budget", 15),
    ("actual_pence", "actual", 15),
    ("committed_pence", "committed", 15),
    ("growth_pence", "growth", 12),
    ("forecast_pence", "forecast", 15),
    ("variance_pence", "variance", 15),
    ("variance_percent", "var %", 7),
    ("movement_pence", "movement", 13),
)


def moment(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./dev finance", description=__doc__)
    which = parser.add_subparsers(dest="which", required=True)
    for name in ("forecast", "exceptions"):
        sub = which.add_parser(name)
        sub.add_argument("--fy", type=int, required=True, help="2025 is April 2025 to March 2026")
        sub.add_argument("--basis", default="accrued", choices=("accrued", "invoiced", "paid"))
        sub.add_argument("--actuals-to", type=date.fromisoformat)
        sub.add_argument("--open-ended-to", default="year_end", choices=OPEN_ENDED)
        sub.add_argument("--demand-growth-bp", type=int, default=0)
        sub.add_argument("--suspended", default="paused", choices=SUSPENDED)
        sub.add_argument("--as-at", type=moment, help="ISO 8601; default now")
    which.choices["forecast"].add_argument("--group-by", default="intervention", choices=GROUPINGS)
    exceptions = which.choices["exceptions"]
    exceptions.add_argument("--on", type=date.fromisoformat, help="default the year's start")
    exceptions.add_argument("--threshold-pence", type=int, default=DEFAULT_HIGH_COST_WEEKLY_PENCE)
    return parser


def cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return "-"
    if key.endswith("_pence") and isinstance(value, int):
        return format_pounds(value)
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[str]:
    """Rows under a header: the first column left-aligned (cut to its width), the rest right."""
    lines = [
        " ".join(f"{t:<{w}}" if i == 0 else f"{t:>{w}}" for i, (_, t, w) in enumerate(columns))
    ]
    for row in rows:
        lines.append(
            " ".join(
                f"{cell(row, k)[:w]:<{w}}" if i == 0 else f"{cell(row, k):>{w}}"
                for i, (k, _, w) in enumerate(columns)
            )
        )
    return lines or ["(none)"]


def stamped(report: dict[str, Any]) -> str:
    return f"as at {report['as_at']}, generated {report['generated_at']}"


def render_forecast(report: dict[str, Any]) -> str:
    a = report["assumptions"]
    compared = report["compared_with"]
    lines = [
        f"Forecast outturn {a['financial_year']} by {report['group_by'].replace('_', ' ')}, "
        f"{stamped(report)}",
        f"  actual to {a['actuals_to']} on the {a['basis']} basis; committed after that to "
        f"{a['year_end']}; open-ended placements to the {a['open_ended_to'].replace('_', ' ')}; "
        f"demand growth {a['demand_growth_bp']} bp; suspended interventions {a['suspended']}",
        f"  movement since the forecast saved {compared['saved_at']} by {compared['saved_by']}"
        if compared
        else "  no saved forecast to compare with",
        *table([*report["rows"], report["total"]], FORECAST_COLUMNS),
    ]
    return "\n".join(lines)


EXCEPTION_SECTIONS: tuple[tuple[str, str, tuple[Column, ...]], ...] = (
    (
        "High-cost placements",
        "high_cost",
        (
            ("child_ref", "child", 14),
            ("provider_id", "provider", 20),
            ("category", "category", 22),
            ("weekly_cost_pence", "a week", 12),
            ("start_date", "since", 11),
            ("cost_to_year_end_pence", "to year end", 14),
        ),
    ),
    (
        "Prices above the framework ceiling",
        "above_ceiling",
        (
            ("intervention_id", "intervention", 24),
            ("category", "category", 22),
            ("unit_price_pence", "price", 12),
            ("effective_from", "from", 11),
            ("ceiling_pence", "ceiling", 12),
            ("excess_pence", "over by", 12),
        ),
    ),
    (
        "Invoiced after the end",
        "invoiced_after_end",
        (
            ("invoice_number", "invoice", 16),
            ("intervention_id", "intervention", 24),
            ("child_ref", "child", 14),
            ("service_period_end", "paid to", 11),
            ("ended_on", "ended", 11),
            ("cost_after_end_pence", "after end", 12),
        ),
    ),
    (
        "Accrued while suspended",
        "accrued_while_suspended",
        (
            ("intervention_id", "intervention", 24),
            ("suspended_from", "from", 11),
            ("suspended_to", "to", 11),
            ("accrued_pence", "accrued", 12),
        ),
    ),
    (
        "Budgets that will run out",
        "run_out",
        (
            ("intervention_id", "intervention", 24),
            ("budget_pence", "budget", 15),
            ("forecast_pence", "forecast", 15),
            ("overspend_pence", "over by", 14),
            ("run_out_month", "runs out", 9),
        ),
    ),
)


def exception_lists(args: argparse.Namespace, ledger: Ledger) -> dict[str, Any]:
    query = forecast_query(args)
    on = args.on or date(args.fy, 4, 1)
    high = finance.high_cost(
        on=on,
        threshold_pence=args.threshold_pence,
        open_ended_to=args.open_ended_to,
        suppression_threshold=0,
        moment=args.as_at,
        ledger=ledger,
    )
    ended = finance.paid_after_end(moment=args.as_at, ledger=ledger)
    return {
        **{k: high[k] for k in ("as_at", "generated_at")},
        "on": on.isoformat(),
        "threshold": args.threshold_pence,
        "high_cost": high["rows"],
        "above_ceiling": finance.above_ceiling(on=on, moment=args.as_at, ledger=ledger)["rows"],
        "invoiced_after_end": ended["invoiced_after_end"],
        "accrued_while_suspended": ended["accrued_while_suspended"],
        "run_out": finance.budget_run_out(query, ledger=ledger)["rows"],
    }


def render_exceptions(lists: dict[str, Any]) -> str:
    lines = [f"Exceptions on {lists['on']}, {stamped(lists)}"]
    for title, key, columns in EXCEPTION_SECTIONS:
        if key == "high_cost":
            title += f" ({format_pounds(lists['threshold'])} a week or more)"
        lines += ["", f"{title}: {len(lists[key])}", *table(lists[key], columns)]
    return "\n".join(lines)


def forecast_query(args: argparse.Namespace) -> finance.ForecastQuery:
    return finance.ForecastQuery(
        fy=args.fy,
        group_by=getattr(args, "group_by", "intervention"),
        basis=args.basis,
        actuals_to=args.actuals_to,
        open_ended_to=args.open_ended_to,
        demand_growth_bp=args.demand_growth_bp,
        suspended=args.suspended,
        as_at=args.as_at,
    )


def main(
    argv: list[str] | None = None,
    out: TextIO = sys.stdout,
    ledger_of: Callable[[ServiceRuntime], Ledger] = mongo_ledger,
) -> int:
    args = build_parser().parse_args(argv)
    runtime = ServiceRuntime.connect(ledger_settings.load_worker())
    try:
        ledger = ledger_of(runtime)
        if args.which == "forecast":
            text = render_forecast(finance.forecast_report(forecast_query(args), ledger=ledger))
        else:
            text = render_exceptions(exception_lists(args, ledger))
    except RuleBroken as error:
        print(f"finance: {error}", file=sys.stderr)
        return 2
    finally:
        runtime.client.close()
    print(text, file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
