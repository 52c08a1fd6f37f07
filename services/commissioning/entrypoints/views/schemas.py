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
from shared.fields import ChildRef, Day, EntityId, FullMatch, IndicatorCode, Pence, Text
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


def _pence(**kwargs: Any) -> Pence:
    return Pence(
        accept_pounds=True,
        metadata={"description": "whole pence (integer) or pounds as a decimal string"},
        **kwargs,
    )


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


class InterventionCreate(Schema):
    provider_id = EntityId(required=True)
    title = Text(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    pricing_model = fields.String(required=True, validate=validate.OneOf(PRICING_MODELS))
    unit_price_pence = _pence(required=True)
    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_CAPACITY)
    )
    start_date = Day(required=True)
    end_date = Day(required=True)
    budget_pence = _pence(required=True)
    target_indicators = fields.List(
        IndicatorCode(), load_default=list, validate=validate.Length(max=MAX_TARGET_INDICATORS)
    )

    @validates_schema
    def dates_and_codes(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["end_date"] < data["start_date"]:
            raise ValidationError("must not be before start_date", field_name="end_date")
        codes = data["target_indicators"]
        if len(set(codes)) != len(codes):
            raise ValidationError("must not repeat a code", field_name="target_indicators")


class EffectiveDate(Schema):
    effective_date = Day(load_default=today, metadata={"description": "defaults to today (UTC)"})


class Suspension(EffectiveDate):
    reason = Text(load_default=None, allow_none=True)


class Ending(Schema):
    end_date = Day(required=True, metadata={"description": "the last day it runs"})
    reason = Text(load_default=None, allow_none=True)


class PriceAmendment(Schema):
    effective_from = Day(required=True)
    unit_price_pence = _pence(required=True)


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
