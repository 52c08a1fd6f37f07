"""CSV downloads for spreadsheets: each says what it is and as at when in a block above its table
(`services.ledger.adapters.exports`), money as exact decimal pounds with two places."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from services.ledger.adapters import exports
from services.ledger.entrypoints.views import schemas
from services.ledger.entrypoints.views.access import names, transaction_reader
from services.ledger.entrypoints.views.reports import facts, spend_report
from services.ledger.service_layer import queries
from services.ledger.service_layer.finance import stamp
from shared.http import downloads
from shared.http.blueprint import Blueprint
from shared.http.openapi import file_response

blp = Blueprint("exports", __name__, description="CSV exports.")


def _csv(export: Any, stamps: dict[str, str]) -> Response:
    """The CSV, with when it was generated and as at when also in `Acorn-Generated-At` /
    `-As-At`."""
    return downloads.attachment(
        export,
        "csv",
        headers={"Acorn-Generated-At": stamps["generated_at"], "Acorn-As-At": stamps["as_at"]},
    )


@blp.route("/exports/transactions.csv")
class TransactionsCsv(MethodView):
    @blp.arguments(schemas.TransactionArgs, location="query")
    @blp.doc(responses=file_response("One row per posting", "text/csv"))
    def get(self, args: dict[str, Any]) -> Response:
        """Every posting of the matching transactions (a provider: its own only), with the
        intervention's and provider's names beside their ids."""
        _, own_provider = transaction_reader()
        where = queries.TransactionFilter(
            intervention_id=args["intervention_id"],
            provider_id=own_provider or args["provider_id"],
            kind=args["kind"],
            child_ref=args["child_ref"],
        )
        view = facts(args)
        postings = []
        for txn in queries.list_transactions(where, view):
            out = schemas.transaction_out(txn)
            postings.extend(
                {
                    **out,
                    "account": posting.account,
                    "amount_pence": posting.amount_pence,
                    "description": txn.description,
                }
                for posting in txn.postings
            )
        stamps = stamp(view)
        filters = {
            "intervention_id": where.intervention_id,
            "provider_id": where.provider_id,
            "kind": where.kind,
            "child_ref": where.child_ref,
        }
        return _csv(
            exports.transactions_export(postings, names(), filters=filters, stamp=stamps), stamps
        )


@blp.route("/exports/spend.csv")
class SpendCsv(MethodView):
    @blp.arguments(schemas.SpendArgs, location="query")
    @blp.doc(responses=file_response("One row per group", "text/csv"))
    def get(self, args: dict[str, Any]) -> Response:
        """The spend summary of `/spend` as CSV, with names beside ids and a total row."""
        report = spend_report(args)
        filters = {
            "from": args["start"].isoformat() if args["start"] else None,
            "to": args["end"].isoformat() if args["end"] else None,
            "intervention_id": args["intervention_id"],
            "provider_id": args["provider_id"],
        }
        return _csv(exports.spend_export(report, names(), filters=filters), report)
