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
