"""Transactions: finance posts them and reverses them; readers list and fetch them."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from services.ledger.domain.model import CostLine, Posting, RuleBroken
from services.ledger.entrypoints.views import schemas
from services.ledger.entrypoints.views.access import (
    audited,
    context,
    finance,
    problem,
    transaction_reader,
)
from services.ledger.service_layer import handlers, queries
from services.ledger.service_layer.commands import PostTransaction, ReverseTransaction
from services.ledger.service_layer.finance import as_at
from shared.http.blueprint import Blueprint
from shared.http.idempotency import HEADER, idempotent
from shared.http.paging import paginate

blp = Blueprint("transactions", __name__, description="The ledger's transactions.")


def _lines(raw: list[dict[str, Any]]) -> tuple[CostLine, ...]:
    return tuple(
        CostLine(
            line["child_ref"],
            line["service_period_start"],
            line["service_period_end"],
            line["amount"],
        )
        for line in raw
    )


@blp.route("/transactions")
class Transactions(MethodView):
    @blp.arguments(schemas.TransactionArgs, location="query")
    @blp.response(200, schemas.TransactionPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List transactions, oldest first; a provider sees only its own interventions'."""
        _, own_provider = transaction_reader()
        where = queries.TransactionFilter(
            intervention_id=args["intervention_id"],
            provider_id=own_provider or args["provider_id"],
            kind=args["kind"],
            child_ref=args["child_ref"],
        )
        found = queries.list_transactions(where, as_at(context().ledger, args["as_at"]))
        page = paginate(found, args)  # only the page's transactions are turned into answers
        return {**page, "items": [schemas.transaction_out(txn) for txn in page["items"]]}

    @idempotent
    @blp.arguments(schemas.TransactionIn)
    @blp.response(201, schemas.TransactionOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Post a commitment, accrual, invoice, payment or adjustment (finance).

        Postings follow from the kind and the cost lines; only adjustments name their postings,
        which must sum to zero. The transaction id is derived from the Idempotency-Key.
        """
        caller = finance()
        command = PostTransaction(
            transaction_id=handlers.api_transaction_id(caller.subject, request.headers[HEADER]),
            kind=body["kind"],
            intervention_id=body["intervention_id"],
            description=body["description"],
            source=f"api:{caller.subject}",
            lines=_lines(body["lines"]),
            accounting_date=body["accounting_date"],
            invoice_number=body["invoice_number"],
            basis=body["basis"],
            postings=tuple(Posting(p["account"], p["amount"]) for p in body["postings"])
            if body["postings"] is not None
            else None,
        )
        with audited(caller, "post_transaction", command.transaction_id, kind=command.kind) as log:
            txn, created = handlers.post_transaction(command, ledger=context().ledger)
            log["created"] = created
        return schemas.transaction_out(txn)


@blp.route("/transactions/<transaction_id>")
class TransactionById(MethodView):
    @blp.response(200, schemas.TransactionOut)
    def get(self, transaction_id: str) -> dict[str, Any]:
        """One transaction (a provider's own only)."""
        _, own_provider = transaction_reader()
        try:
            txn = queries.get_transaction(
                transaction_id, ledger=context().ledger, provider_id=own_provider
            )
        except RuleBroken as error:
            raise problem(error) from error
        return schemas.transaction_out(txn)


@blp.route("/reversals")
class Reversals(MethodView):
    @idempotent
    @blp.arguments(schemas.ReversalIn)
    @blp.response(201, schemas.TransactionOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Reverse a transaction (finance): once only; a second reversal is refused (409)."""
        caller = finance()
        command = ReverseTransaction(
            reverses=body["reverses"],
            description=body["description"],
            source=f"api:{caller.subject}",
            accounting_date=body["accounting_date"],
        )
        with audited(caller, "reverse_transaction", command.reverses):
            txn = handlers.reverse_transaction(command, ledger=context().ledger)
        return schemas.transaction_out(txn)
