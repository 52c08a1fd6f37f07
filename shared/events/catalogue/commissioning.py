"""Events of the commissioning service (topic `acorn.commissioning`).

Every event carries the full current snapshot of its aggregate (with its `version`), not only the
change, so a consumer can build its view from whatever arrives, in any order, by keeping the
snapshot with the highest version. Partition key: the aggregate id (provider, intervention,
enrolment).
"""

from marshmallow import Schema, fields, validate

from shared.events.registry import PayloadPart, register
from shared.events.topics import event_type
from shared.fields import ChildRef, EntityId, IndicatorCode, Pence

PROVIDER_KINDS = ("in_house", "independent", "voluntary")
PROVIDER_STATUSES = ("active", "inactive")
CATEGORIES = (
    "early_help",
    "family_support",
    "in_house_fostering",
    "independent_fostering",
    "residential_care",
    "send_support",
    "therapeutic",
    "education_support",
    "leaving_care",
    "supported_accommodation",
    "placed_with_parents",
    "other",
)
PRICING_MODELS = ("per_child_week", "per_child_day", "per_session", "block_per_month")
INTERVENTION_STATUSES = ("draft", "active", "suspended", "ended")
ENROLMENT_STATUSES = ("enrolled", "ended")

PROVIDER_REGISTERED = event_type("commissioning", "provider_registered")
PROVIDER_UPDATED = event_type("commissioning", "provider_updated")
INTERVENTION_COMMISSIONED = event_type("commissioning", "intervention_commissioned")
INTERVENTION_ACTIVATED = event_type("commissioning", "intervention_activated")
INTERVENTION_AMENDED = event_type("commissioning", "intervention_amended")
INTERVENTION_SUSPENDED = event_type("commissioning", "intervention_suspended")
INTERVENTION_RESUMED = event_type("commissioning", "intervention_resumed")
INTERVENTION_ENDED = event_type("commissioning", "intervention_ended")
INTERVENTION_CORRECTED = event_type("commissioning", "intervention_corrected")
# what a correction may put right: what was recorded wrongly, not what changed later (prices
# change by amendment from a date, dates and status by their own steps)
CORRECTABLE_FIELDS = ("title", "capacity", "target_indicators", "budget_pence")
CHILD_ENROLLED = event_type("commissioning", "child_enrolled")
ENROLMENT_ENDED = event_type("commissioning", "enrolment_ended")


class Provider(PayloadPart):
    provider_id = EntityId(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(PROVIDER_KINDS))
    ofsted_urn = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(PROVIDER_STATUSES))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@register(PROVIDER_REGISTERED)
class ProviderRegistered(Provider):
    pass


@register(PROVIDER_UPDATED)
class ProviderUpdated(Provider):
    pass


class PricePeriod(PayloadPart):
    """A unit price in force from `effective_from` until the next period starts."""

    effective_from = fields.Date(required=True)
    unit_price_pence = Pence(required=True)


class Intervention(PayloadPart):
    intervention_id = EntityId(required=True)
    provider_id = EntityId(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    pricing_model = fields.String(required=True, validate=validate.OneOf(PRICING_MODELS))
    prices = fields.List(fields.Nested(PricePeriod), required=True, validate=validate.Length(min=1))
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    budget_pence = Pence(required=True)
    target_indicators = fields.List(IndicatorCode(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(INTERVENTION_STATUSES))
    withdrawn = fields.Boolean(
        load_default=False,
        metadata={"description": "ended while still a draft: nothing stays committed to it"},
    )
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class InterventionChanged(Schema):
    intervention = fields.Nested(Intervention, required=True)
    effective_date = fields.Date(required=True)


@register(INTERVENTION_COMMISSIONED)
class InterventionCommissioned(InterventionChanged):
    pass


@register(INTERVENTION_ACTIVATED)
class InterventionActivated(InterventionChanged):
    pass


@register(INTERVENTION_AMENDED)
class InterventionAmended(InterventionChanged):
    """`effective_date` is when the new price (`unit_price_pence`) takes effect."""

    unit_price_pence = Pence(required=True)


@register(INTERVENTION_SUSPENDED)
class InterventionSuspended(InterventionChanged):
    reason = fields.String(load_default=None, allow_none=True)


@register(INTERVENTION_RESUMED)
class InterventionResumed(InterventionChanged):
    pass


@register(INTERVENTION_ENDED)
class InterventionEnded(InterventionChanged):
    reason = fields.String(load_default=None, allow_none=True)


@register(INTERVENTION_CORRECTED)
class InterventionCorrected(InterventionChanged):
    """Fields recorded wrongly, put right as if they had always been so: `effective_date` is the
    intervention's start, `corrected` names the fields that changed, `reason` says why."""

    corrected = fields.List(
        fields.String(validate=validate.OneOf(CORRECTABLE_FIELDS)),
        required=True,
        validate=validate.Length(min=1),
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class Enrolment(PayloadPart):
    enrolment_id = EntityId(required=True)
    intervention_id = EntityId(required=True)
    provider_id = EntityId(required=True)
    child_ref = ChildRef(required=True, refuse_name_like=False)
    start_date = fields.Date(required=True)
    end_date = fields.Date(load_default=None, allow_none=True)
    end_reason = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ENROLMENT_STATUSES))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@register(CHILD_ENROLLED)
class ChildEnrolled(Schema):
    enrolment = fields.Nested(Enrolment, required=True)


@register(ENROLMENT_ENDED)
class EnrolmentEnded(Schema):
    enrolment = fields.Nested(Enrolment, required=True)
