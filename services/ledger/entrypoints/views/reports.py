"""What finance asks of the ledger: balances, spend, budgets, invoice matching, reconciliation.

Each takes `as_at` (default now) and answers from the facts recorded by then, saying when it was
generated and as at when."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.ledger.adapters.finance_records import AsAt
from services.ledger.domain.calendar import Span
from services.ledger.entrypoints.views import schemas
from services.ledger.entrypoints.views.access import (
    budget_reader,
    context,
    full_reader,
    spend_reader,
)
from services.ledger.service_layer import finance, queries
from shared.events.catalogue.ledger import nothing_recorded_notice
from shared.http.blueprint import Blueprint

blp = Blueprint("reports", __name__, description="Balances, spend, budgets and reconciliation.")


def window(args: dict[str, Any]) -> Span | None:
    return (args["start"], args["end"]) if args["start"] else None


def facts(args: dict[str, Any]) -> AsAt:
    """The facts recorded by the query's `as_at` (default now)."""
    return finance.as_at(context().ledger, args["as_at"])


def spend_rows(args: dict[str, Any]) -> tuple[dict[str | None, int], AsAt]:
    """Spend for the query, narrowed to the caller's own provider when it is a provider."""
    _, own_provider = spend_reader()
    where = queries.TransactionFilter(
        intervention_id=args["intervention_id"], provider_id=own_provider or args["provider_id"]
    )
    view = facts(args)
    rows = queries.spend(
        view,
        basis=args["basis"],
        group_by=args["group_by"],
        window=window(args),
        where=where,
    )
    return rows, view


@blp.route("/balances")
class Balances(MethodView):
    @blp.arguments(schemas.BalanceArgs, location="query")
    @blp.response(200, schemas.BalancesOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Balances of every account (or one) from transactions dated on or before `as_of`."""
        full_reader()
        view = facts(args)
        everything = queries.account_balances(view, as_of=args["as_of"])
        shown = (
            {args["account"]: everything.get(args["account"], 0)} if args["account"] else everything
        )
        return {
            **finance.stamp(view),
            "as_of": args["as_of"].isoformat() if args["as_of"] else None,
            "trial_balance_pence": sum(everything.values()),
            "accounts": [{"account": a, "balance_pence": b} for a, b in shown.items()],
        }


@blp.route("/spend")
class Spend(MethodView):
    @blp.arguments(schemas.SpendArgs, location="query")
    @blp.response(200, schemas.SpendOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Spend on a basis grouped by intervention, provider, category, child, financial year,
        quarter or month; lines are prorated by day into periods and the `from`-`to` window."""
        return spend_report(args)


def spend_report(args: dict[str, Any]) -> dict[str, Any]:
    rows, view = spend_rows(args)
    return {
        **finance.stamp(view),
        "basis": args["basis"],
        "group_by": args["group_by"],
        "total_pence": sum(rows.values()),
        "rows": [{"key": key, "spend_pence": pence} for key, pence in sorted_rows(rows)],
        "spend_recorded_on_basis": bool(rows),
        "notice": None if rows else nothing_recorded_notice(args["basis"]),
    }


def sorted_rows(rows: dict[str | None, int]) -> list[tuple[str | None, int]]:
    return sorted(rows.items(), key=lambda item: (item[0] is None, item[0] or ""))


@blp.route("/budgets")
class Budgets(MethodView):
    @blp.arguments(schemas.BudgetArgs, location="query")
    @blp.response(200, schemas.BudgetsOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Budget against actual spend on a basis, per intervention, with remaining budget."""
        budget_reader()
        view = facts(args)
        lines = queries.budgets(view, basis=args["basis"])
        return {
            **finance.stamp(view),
            "basis": args["basis"],
            "interventions": [
                {**line.__dict__, "remaining_pence": line.remaining_pence} for line in lines
            ],
        }


@blp.route("/invoice-matches")
class InvoiceMatches(MethodView):
    @blp.arguments(schemas.MatchArgs, location="query")
    @blp.response(200, schemas.MatchesOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Invoiced against accrued cost of one intervention per child and month: the difference."""
        full_reader()
        view = facts(args)
        matches = queries.invoice_matches(args["intervention_id"], view, window=window(args))
        accrued = sum(m.accrued_pence for m in matches)
        invoiced = sum(m.invoiced_pence for m in matches)
        return {
            **finance.stamp(view),
            "intervention_id": args["intervention_id"],
            "accrued_pence": accrued,
            "invoiced_pence": invoiced,
            "difference_pence": invoiced - accrued,
            "matches": [
                {**match.__dict__, "difference_pence": match.difference_pence} for match in matches
            ],
        }


@blp.route("/reconciliation")
class ReconciliationView(MethodView):
    @blp.arguments(schemas.AsAtArgs, location="query")
    @blp.response(200, schemas.ReconciliationOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Proof that the books balance, and every transaction breaking a rule."""
        full_reader()
        ledger = context().ledger
        now = ledger.now()
        moment = min(args["as_at"] or now, now)
        result = queries.reconciliation(ledger=ledger, moment=moment)
        return {
            "generated_at": finance.stamp_time(now),
            "as_at": finance.stamp_time(moment),
            "balanced": result.balanced,
            "transactions": result.transactions,
            "trial_balance_pence": result.trial_balance_pence,
            "expense_pence": result.expense_pence,
            "cost_by_basis": result.cost_by_basis,
            "violations": [v.__dict__ for v in result.violations],
        }
