"""CSV downloads for spreadsheets: money as exact decimal pounds with two places."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response
from flask.views import MethodView

from services.ledger.entrypoints.views import schemas
from services.ledger.entrypoints.views.access import transaction_reader
from services.ledger.entrypoints.views.reports import facts, sorted_rows, spend_rows
from services.ledger.service_layer import queries
from services.ledger.service_layer.finance import stamp
from shared.http.blueprint import Blueprint
from shared.http.openapi import file_response
from shared.money import pence_to_decimal

blp = Blueprint("exports", __name__, description="CSV exports.")

TRANSACTION_COLUMNS = [
    "transaction_id",
    "kind",
    "basis",
    "accounting_date",
    "intervention_id",
    "provider_id",
    "child_ref",
    "service_period_start",
    "service_period_end",
    "reverses",
    "invoice_number",
    "account",
    "amount_gbp",
    "description",
]


def _csv(
    header: list[str], rows: list[list[Any]], filename: str, stamps: dict[str, str]
) -> Response:
    """The CSV, with when it was generated and as at when in `Acorn-Generated-At` / `-As-At`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Acorn-Generated-At": stamps["generated_at"],
            "Acorn-As-At": stamps["as_at"],
        },
    )


@blp.route("/exports/transactions.csv")
class TransactionsCsv(MethodView):
    @blp.arguments(schemas.TransactionArgs, location="query")
    @blp.doc(responses=file_response("One row per posting", "text/csv"))
    def get(self, args: dict[str, Any]) -> Response:
        """Every posting of the matching transactions (a provider: its own only)."""
        _, own_provider = transaction_reader()
        where = queries.TransactionFilter(
            intervention_id=args["intervention_id"],
            provider_id=own_provider or args["provider_id"],
            kind=args["kind"],
            child_ref=args["child_ref"],
        )
        rows = []
        view = facts(args)
        for txn in queries.list_transactions(where, view):
            out = schemas.transaction_out(txn)
            for posting in txn.postings:
                rows.append(
                    [out[column] for column in TRANSACTION_COLUMNS[:11]]
                    + [posting.account, pence_to_decimal(posting.amount_pence), txn.description]
                )
        return _csv(TRANSACTION_COLUMNS, rows, "transactions.csv", stamp(view))


@blp.route("/exports/spend.csv")
class SpendCsv(MethodView):
    @blp.arguments(schemas.SpendArgs, location="query")
    @blp.doc(responses=file_response("One row per group", "text/csv"))
    def get(self, args: dict[str, Any]) -> Response:
        """The spend summary of `/spend` as CSV, with a total row."""
        rows, view = spend_rows(args)
        body: list[list[Any]] = [
            [args["basis"], key if key is not None else "", pence_to_decimal(pence)]
            for key, pence in sorted_rows(rows)
        ]
        body.append([args["basis"], "total", pence_to_decimal(sum(rows.values()))])
        return _csv(["basis", args["group_by"], "spend_gbp"], body, "spend.csv", stamp(view))
