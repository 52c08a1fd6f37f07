"""Request and response bodies. Money comes in as whole pence (integer) or pounds as a decimal
string with at most two places; floats, more places and other currencies are refused by field."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.ledger.adapters.records import posted_at_iso
from services.ledger.domain.model import BASES, KINDS, Transaction
from services.ledger.domain.reports import GROUPINGS
from services.ledger.entrypoints.views.finance_schemas import as_at_field
from shared.events.catalogue.ledger import DEFAULT_BASIS
from shared.fields import ChildRef, Day, EntityId, PenceOrPounds, Text
from shared.http.paging import PageArgs, page_schema
from shared.money import CURRENCY

POSTABLE_KINDS = ("commitment", "accrual", "invoice", "payment", "adjustment")
# One transaction is one event: these keep the largest well inside the broker's 1 MiB.
MAX_LINES = 1_000
MAX_POSTINGS = 50


class LineIn(Schema):
    child_ref = ChildRef(load_default=None, allow_none=True)
    service_period_start = Day(required=True)
    service_period_end = Day(required=True)
    amount = PenceOrPounds(
        required=True,
        allow_negative=True,
        metadata={"description": "Whole pence (integer) or pounds as a decimal string."},
    )


class PostingIn(Schema):
    account = Text(required=True)
    amount = PenceOrPounds(required=True, allow_negative=True)


class TransactionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(POSTABLE_KINDS))
    intervention_id = EntityId(required=True)
    description = Text(required=True, max_length=500)
    currency = fields.String(
        load_default=CURRENCY,
        validate=validate.Equal(CURRENCY, error="only GBP (pounds sterling) is accepted"),
    )
    accounting_date = Day(load_default=None)
    invoice_number = Text(load_default=None, max_length=100)
    basis = fields.String(load_default=None, validate=validate.OneOf(BASES))
    postings = fields.List(
        fields.Nested(PostingIn), load_default=None, validate=validate.Length(max=MAX_POSTINGS)
    )
    lines = fields.List(
        fields.Nested(LineIn), load_default=list, validate=validate.Length(max=MAX_LINES)
    )

    @validates_schema
    def fits_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("kind")
        if kind == "invoice" and not data.get("invoice_number"):
            raise ValidationError(
                "an invoice needs the provider's invoice number", "invoice_number"
            )
        if kind != "invoice" and data.get("invoice_number"):
            raise ValidationError("only invoices have an invoice number", "invoice_number")
        if kind == "adjustment" and not data.get("postings"):
            raise ValidationError("an adjustment names its postings", "postings")
        if kind != "adjustment":
            for name in ("postings", "basis"):
                if data.get(name) is not None:
                    raise ValidationError(f"only adjustments give {name}", name)
            for index, line in enumerate(data.get("lines") or []):
                if reason := _line_refusal(kind, line["amount"]):
                    raise ValidationError({str(index): {"amount": [reason]}}, "lines")


def _line_refusal(kind: str | None, amount: int) -> str | None:
    """Why a line's amount means nothing for its kind: an invoice line is money owed for a
    service (a credit is a reversal or an adjustment), and no line is zero."""
    if amount == 0:
        return "must not be zero"
    if kind == "invoice" and amount < 0:
        return "must be more than zero on an invoice; a credit is a reversal or an adjustment"
    return None


class ReversalIn(Schema):
    reverses = EntityId(required=True)
    description = Text(required=True, max_length=500)
    accounting_date = Day(load_default=None)


class AccrualRunIn(Schema):
    period_start = Day(required=True)
    period_end = Day(required=True)


class PostingOut(Schema):
    account = fields.String()
    amount_pence = fields.Integer()


class LineOut(Schema):
    child_ref = fields.String(allow_none=True)
    service_period_start = fields.String()
    service_period_end = fields.String()
    cost_pence = fields.Integer()


class TransactionOut(Schema):
    transaction_id = fields.String()
    kind = fields.String()
    basis = fields.String()
    intervention_id = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    child_ref = fields.String(allow_none=True)
    service_period_start = fields.String(allow_none=True)
    service_period_end = fields.String(allow_none=True)
    accounting_date = fields.String()
    source = fields.String()
    description = fields.String()
    posted_at = fields.String()
    reverses = fields.String(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    postings = fields.List(fields.Nested(PostingOut))
    lines = fields.List(fields.Nested(LineOut))


TransactionPage = page_schema(TransactionOut)


def transaction_out(txn: Transaction) -> dict[str, Any]:
    period = txn.service_period
    return {
        "transaction_id": txn.transaction_id,
        "kind": txn.kind,
        "basis": txn.basis,
        "intervention_id": txn.intervention_id,
        "provider_id": txn.provider_id,
        "child_ref": txn.child_ref,
        "service_period_start": period[0].isoformat() if period else None,
        "service_period_end": period[1].isoformat() if period else None,
        "accounting_date": txn.accounting_date.isoformat(),
        "source": txn.source,
        "description": txn.description,
        "posted_at": posted_at_iso(txn.posted_at),
        "reverses": txn.reverses,
        "invoice_number": txn.invoice_number,
        "postings": [{"account": p.account, "amount_pence": p.amount_pence} for p in txn.postings],
        "lines": [
            {
                "child_ref": line.child_ref,
                "service_period_start": line.start.isoformat(),
                "service_period_end": line.end.isoformat(),
                "cost_pence": line.cost_pence,
            }
            for line in txn.lines
        ],
    }


class TransactionArgs(PageArgs):
    intervention_id = EntityId(load_default=None)
    provider_id = EntityId(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    child_ref = ChildRef(load_default=None)
    as_at = as_at_field()


class AccrualRunOut(Schema):
    period_start = fields.String()
    period_end = fields.String()
    months = fields.List(fields.String())
    posted = fields.List(fields.Nested(TransactionOut))


class Stamped(Schema):
    """When a report was generated, and the moment whose recorded facts it answers from."""

    generated_at = fields.String()
    as_at = fields.String()


class AsAtArgs(Schema):
    as_at = as_at_field()


class WindowArgs(AsAtArgs):
    start = Day(data_key="from", load_default=None)
    end = Day(data_key="to", load_default=None)

    @validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data["start"] is None) != (data["end"] is None):
            raise ValidationError("give both from and to, or neither", "to")
        if data["start"] and data["end"] < data["start"]:
            raise ValidationError("is before from", "to")


class SpendArgs(WindowArgs):
    basis = fields.String(load_default=DEFAULT_BASIS, validate=validate.OneOf(BASES))
    group_by = fields.String(load_default="intervention", validate=validate.OneOf(GROUPINGS))
    intervention_id = EntityId(load_default=None)
    provider_id = EntityId(load_default=None)


class SpendRow(Schema):
    key = fields.String(allow_none=True)
    spend_pence = fields.Integer()


class SpendOut(Stamped):
    basis = fields.String()
    group_by = fields.String()
    total_pence = fields.Integer()
    rows = fields.List(fields.Nested(SpendRow))
    spend_recorded_on_basis = fields.Boolean(
        metadata={"description": "whether any transaction on the basis matched"}
    )
    notice = fields.String(
        allow_none=True,
        metadata={"description": "what a reader must know first (no spend on the basis); or null"},
    )


class BalanceArgs(AsAtArgs):
    as_of = Day(load_default=None)
    account = Text(load_default=None)


class BalanceRow(Schema):
    account = fields.String()
    balance_pence = fields.Integer()


class BalancesOut(Stamped):
    as_of = fields.String(allow_none=True)
    trial_balance_pence = fields.Integer()
    accounts = fields.List(fields.Nested(BalanceRow))


class BudgetArgs(AsAtArgs):
    basis = fields.String(load_default=DEFAULT_BASIS, validate=validate.OneOf(BASES))


class BudgetRow(Schema):
    intervention_id = fields.String()
    provider_id = fields.String()
    budget_pence = fields.Integer()
    committed_pence = fields.Integer()
    outstanding_commitment_pence = fields.Integer()
    actual_pence = fields.Integer()
    remaining_pence = fields.Integer()


class BudgetsOut(Stamped):
    basis = fields.String()
    interventions = fields.List(fields.Nested(BudgetRow))


class MatchArgs(WindowArgs):
    intervention_id = EntityId(required=True)


class MatchRow(Schema):
    child_ref = fields.String(allow_none=True)
    month = fields.String()
    accrued_pence = fields.Integer()
    invoiced_pence = fields.Integer()
    difference_pence = fields.Integer()


class MatchesOut(Stamped):
    intervention_id = fields.String()
    accrued_pence = fields.Integer()
    invoiced_pence = fields.Integer()
    difference_pence = fields.Integer()
    matches = fields.List(fields.Nested(MatchRow))


class ViolationOut(Schema):
    transaction_id = fields.String()
    rule = fields.String()
    detail = fields.String()


class ReconciliationOut(Stamped):
    balanced = fields.Boolean()
    transactions = fields.Integer()
    trial_balance_pence = fields.Integer()
    expense_pence = fields.Integer()
    cost_by_basis = fields.Dict(keys=fields.String(), values=fields.Integer())
    violations = fields.List(fields.Nested(ViolationOut))
