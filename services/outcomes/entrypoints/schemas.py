"""Request and response schemas of the outcomes API (marshmallow, unknown fields refused)."""

from __future__ import annotations

import math
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shared.events.catalogue.outcomes import DIRECTIONS, OUTCOME_AREAS, UNITS
from shared.fields import ChildRef, Day, EntityId, IndicatorCode, Text
from shared.http.problems import FieldErrorSchema


class Number(fields.Field[float]):
    """A JSON number: strings and booleans are refused, so `"5"` or `true` never pass as 5 or 1."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("must be a number")
        if not math.isfinite(value):
            raise ValidationError("must be a finite number")
        return value


class AgeBandSchema(Schema):
    min_age = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=25))
    max_age = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=25))


class IndicatorDefinitionSchema(Schema):
    """What a council defines, and may change in a new version."""

    name = Text(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    outcome_area = fields.String(required=True, validate=validate.OneOf(OUTCOME_AREAS))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    min_value = Number(required=True)
    max_value = Number(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    improvement_threshold = Number(required=True, validate=validate.Range(min=0))
    age_band = fields.Nested(AgeBandSchema, load_default=None, allow_none=True)
    sources = fields.List(
        Text(max_length=300),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "The publications the definition follows."},
    )


class NewIndicatorSchema(IndicatorDefinitionSchema):
    code = IndicatorCode(required=True)
    introduced_on = Day(required=True)


class IndicatorSchema(NewIndicatorSchema):
    status = fields.String()
    version = fields.Integer()


class IndicatorDetailSchema(IndicatorSchema):
    history = fields.List(
        fields.Nested(IndicatorSchema), metadata={"description": "Earlier versions, oldest first."}
    )


class GuardrailSchema(Schema):
    active = fields.Integer()
    limit = fields.Integer()
    warning = fields.String(allow_none=True)


class IndicatorListSchema(Schema):
    items = fields.List(fields.Nested(IndicatorSchema))
    guardrail = fields.Nested(GuardrailSchema)


class IndicatorChangeSchema(Schema):
    indicator = fields.Nested(IndicatorSchema)
    guardrail = fields.Nested(GuardrailSchema)


class IndicatorListArgs(Schema):
    status = fields.String(validate=validate.OneOf(("active", "retired")))


class ObservationInSchema(Schema):
    child_ref = ChildRef(required=True)
    indicator_code = IndicatorCode(required=True)
    value = Number(required=True)
    observed_on = Day(required=True)
    intervention_id = EntityId(load_default=None, allow_none=True)
    evidence_ref = Text(load_default=None, allow_none=True)
    source_system = Text(
        load_default=None,
        allow_none=True,
        max_length=100,
        metadata={
            "description": "The council's own system the reading comes from (council only, "
            "required there), e.g. `SSDA903 return 2024` or `school census`."
        },
    )


class ObservationBatchInSchema(Schema):
    observations = fields.List(
        fields.Raw(),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Observations as for the single endpoint; at most 1,000."},
    )


class ObservationSchema(Schema):
    observation_id = fields.String()
    child_ref = fields.String()
    indicator_code = fields.String()
    indicator_version = fields.Integer()
    value = fields.Float()
    observed_on = fields.Date()
    provider_id = fields.String(allow_none=True)
    intervention_id = fields.String(allow_none=True)
    evidence_ref = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
    source = fields.String(metadata={"description": "provider or council"})
    source_system = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "current, superseded or withdrawn"})
    supersedes = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)


class RowResultSchema(Schema):
    index = fields.Integer()
    status = fields.String(
        metadata={
            "description": "recorded, invalid, forbidden, or duplicate (the same row as an "
            "earlier one of the request: recorded once, under the earlier row's observation_id)"
        }
    )
    observation_id = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))


class BatchResultSchema(Schema):
    recorded = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(RowResultSchema))


class CorrectionInSchema(Schema):
    value = Number(required=True)
    observed_on = Day(load_default=None)
    evidence_ref = Text(load_default=None)


class WithdrawalInSchema(Schema):
    reason = Text(required=True, max_length=500)


class ChildObservationArgs(Schema):
    indicator_code = IndicatorCode()
    include_history = fields.Boolean(load_default=False)


class NeedsAssessmentInSchema(Schema):
    child_ref = ChildRef(required=True)
    assessed_on = Day(required=True)
    scores = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        required=True,
        metadata={"description": "Every need domain scored 0-3."},
    )


class NeedsAssessmentSchema(Schema):
    assessment_id = fields.String()
    child_ref = fields.String()
    assessed_on = fields.Date()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    need_level = fields.String()
    provider_id = fields.String(allow_none=True)
    assessed_by_role = fields.String()
