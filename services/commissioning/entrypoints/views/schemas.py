"""Request schemas (unknown fields refused by name) and the response schemas, which are the
catalogue's snapshot schemas: the API shows exactly what the events carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.events.catalogue.commissioning import (
    CATEGORIES,
    ENROLMENT_STATUSES,
    INTERVENTION_STATUSES,
    PRICING_MODELS,
    PROVIDER_KINDS,
    PROVIDER_STATUSES,
    Enrolment,
    Intervention,
    Provider,
)
from shared.events.catalogue.outcomes import FRAMEWORK_CODES
from shared.fields import (
    AmountsInPenceOrPounds,
    ChildRef,
    Day,
    EntityId,
    FullMatch,
    Text,
    amount_fields,
)
from shared.http.paging import PageArgs, page_schema

# Ofsted unique reference numbers: six to eight digits, "SC" first for social care settings
OFSTED_URN = FullMatch(r"^(SC)?[0-9]{6,8}$", error="is not an Ofsted URN such as SC123456")
# An intervention is one event: its list of indicators stays short (the framework is short too).
MAX_TARGET_INDICATORS = 50
MAX_CAPACITY = 100_000

ProviderOut = Provider
InterventionOut = Intervention
EnrolmentOut = Enrolment
ProviderPage = page_schema(Provider)
InterventionPage = page_schema(Intervention)
EnrolmentPage = page_schema(Enrolment)


def today() -> date:
    return datetime.now(UTC).date()


def TargetIndicators(**kwargs: Any) -> fields.List:
    """Codes of the outcome framework the intervention aims to improve, each named once."""
    in_framework = validate.OneOf(
        FRAMEWORK_CODES, error="{input!r} is not an indicator of the outcome framework"
    )
    return fields.List(
        fields.String(validate=in_framework),
        validate=[validate.Length(max=MAX_TARGET_INDICATORS), _each_once],
        **kwargs,
    )


def _each_once(codes: list[str]) -> None:
    if len(set(codes)) != len(codes):
        raise ValidationError("must not repeat a code")


class ProviderCreate(Schema):
    name = Text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(PROVIDER_KINDS))
    ofsted_urn = fields.String(load_default=None, allow_none=True, validate=OFSTED_URN)


class ProviderChange(Schema):
    name = Text()
    kind = fields.String(validate=validate.OneOf(PROVIDER_KINDS))
    ofsted_urn = fields.String(allow_none=True, validate=OFSTED_URN)
    status = fields.String(validate=validate.OneOf(PROVIDER_STATUSES))

    @validates_schema
    def at_least_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("name at least one field to change")


class InterventionCreate(AmountsInPenceOrPounds):
    AMOUNTS = REQUIRED_AMOUNTS = ("unit_price", "budget")

    provider_id = EntityId(required=True)
    title = Text(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    pricing_model = fields.String(required=True, validate=validate.OneOf(PRICING_MODELS))
    unit_price_pence, unit_price_pounds = amount_fields("the price of one unit")
    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_CAPACITY)
    )
    start_date = Day(required=True)
    end_date = Day(required=True)
    budget_pence, budget_pounds = amount_fields("the budget over all its dates")
    target_indicators = TargetIndicators(load_default=list)

    @validates_schema
    def dates_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["end_date"] < data["start_date"]:
            raise ValidationError("must not be before start_date", field_name="end_date")


class InterventionCorrection(AmountsInPenceOrPounds):
    """What was recorded wrongly, put right as if it had always been so."""

    AMOUNTS = ("budget",)

    title = Text()
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_CAPACITY))
    target_indicators = TargetIndicators()
    budget_pence, budget_pounds = amount_fields("the budget over all its dates")
    reason = Text(required=True, metadata={"description": "why the record was wrong"})

    @validates_schema
    def at_least_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not set(data) - {"reason"}:
            raise ValidationError(
                "name at least one of title, capacity, target_indicators, budget_pence"
            )


class EffectiveDate(Schema):
    effective_date = Day(load_default=today, metadata={"description": "defaults to today (UTC)"})


class Suspension(EffectiveDate):
    reason = Text(load_default=None, allow_none=True)


class Ending(Schema):
    end_date = Day(required=True, metadata={"description": "the last day it runs"})
    reason = Text(load_default=None, allow_none=True)


class PriceAmendment(AmountsInPenceOrPounds):
    AMOUNTS = REQUIRED_AMOUNTS = ("unit_price",)

    effective_from = Day(required=True)
    unit_price_pence, unit_price_pounds = amount_fields("the new price of one unit")


class EnrolmentCreate(Schema):
    child_ref = ChildRef(required=True)
    start_date = Day(required=True)


ENROLMENT_BATCH_LIMIT = 500


class EnrolmentRow(EnrolmentCreate):
    end_date = Day(
        load_default=None, allow_none=True, metadata={"description": "the last enrolled day"}
    )
    end_reason = Text(load_default=None, allow_none=True)


class EnrolmentBatch(Schema):
    enrolments = fields.List(
        fields.Nested(EnrolmentRow),
        required=True,
        validate=validate.Length(min=1, max=ENROLMENT_BATCH_LIMIT),
    )


class EnrolmentRowResult(Schema):
    index = fields.Integer()
    status = fields.String(metadata={"description": "enrolled or refused"})
    enrolment = fields.Nested(Enrolment, allow_none=True)
    errors = fields.List(fields.Dict())


class EnrolmentBatchResult(Schema):
    enrolled = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(EnrolmentRowResult))


class EnrolmentEnding(Schema):
    end_date = Day(required=True, metadata={"description": "the last enrolled day"})
    reason = Text(required=True)


class ProviderQuery(PageArgs):
    kind = fields.String(validate=validate.OneOf(PROVIDER_KINDS))
    status = fields.String(validate=validate.OneOf(PROVIDER_STATUSES))


class InterventionQuery(PageArgs):
    provider_id = EntityId()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    status = fields.String(validate=validate.OneOf(INTERVENTION_STATUSES))
    active_on = Day(metadata={"description": "commissioned and within its dates on this day"})


class EnrolmentQuery(PageArgs):
    intervention_id = EntityId()
    child_ref = ChildRef()
    status = fields.String(validate=validate.OneOf(ENROLMENT_STATUSES))
