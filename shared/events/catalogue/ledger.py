"""Events of the ledger service (topic `acorn.ledger`), keyed by intervention id.

`transaction_posted` carries both the double-entry `postings` (summing to zero) and the cost
`lines` the transaction represents on its `basis`: per child, or untagged (`child_ref` null) for
block amounts, each with the service period it pays for. A consumer can compute spend per child
per day from the lines alone. A reversal has the basis of the transaction it `reverses` and the
negated lines, so summing lines on a basis always gives the ledger's spend on that basis.
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.events.registry import PayloadPart, register
from shared.events.topics import event_type
from shared.fields import ChildRef, EntityId, Pence

KINDS = ("commitment", "accrual", "invoice", "payment", "adjustment", "reversal")
BASES = ("committed", "accrued", "invoiced", "paid")
# What a report of spend reads when it is not told: the same in the ledger and the value service,
# so the two never answer one question with two figures. Invoiced, because every council has
# invoices, while accruals exist only after an accrual run.
DEFAULT_BASIS = "invoiced"


def nothing_recorded_notice(basis: str) -> str:
    """What a report of spend says first when no cost is recorded on its basis for its period:
    its zeros mean nothing recorded, not nothing spent (e.g. accrued, before any accrual run)."""
    why = " (accruals are posted by the ledger's accrual runs)" if basis == "accrued" else ""
    return (
        f"No spend is recorded on the {basis} basis for this period{why}: every amount of money "
        "here means nothing recorded, not nothing spent. Choose another basis."
    )


TRANSACTION_POSTED = event_type("ledger", "transaction_posted")


class Posting(PayloadPart):
    account = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_pence = Pence(required=True, allow_negative=True)


class CostLine(PayloadPart):
    child_ref = ChildRef(load_default=None, allow_none=True, refuse_name_like=False)
    service_period_start = fields.Date(required=True)
    service_period_end = fields.Date(required=True)
    cost_pence = Pence(required=True, allow_negative=True)


@register(TRANSACTION_POSTED)
class TransactionPosted(Schema):
    transaction_id = EntityId(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    basis = fields.String(required=True, validate=validate.OneOf(BASES))
    intervention_id = EntityId(load_default=None, allow_none=True)
    provider_id = EntityId(load_default=None, allow_none=True)
    reverses = EntityId(load_default=None, allow_none=True)
    invoice_number = fields.String(load_default=None, allow_none=True)
    source = fields.String(required=True)
    description = fields.String(required=True)
    posted_at = fields.DateTime(required=True)
    postings = fields.List(fields.Nested(Posting), required=True, validate=validate.Length(min=2))
    lines = fields.List(fields.Nested(CostLine), required=True)

    @validates_schema
    def postings_balance(self, data: dict, **kwargs: object) -> None:
        if sum(posting["amount_pence"] for posting in data["postings"]) != 0:
            raise ValidationError("postings must sum to zero", "postings")
