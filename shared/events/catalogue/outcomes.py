"""Events of the outcomes service (topic `acorn.outcomes`).

Observation and needs events are keyed by `child_ref`, so all of one child's events keep their
order; indicator events by indicator code. Corrections never overwrite: a correction is a new
observation that names the one it `supersedes`; a withdrawal names the observation it withdraws.
"""

from marshmallow import Schema, fields, validate

from shared.events.registry import PayloadPart, register
from shared.events.topics import event_type
from shared.fields import ChildRef, EntityId, IndicatorCode

OUTCOME_AREAS = (
    "be_healthy",
    "stay_safe",
    "enjoy_and_achieve",
    "positive_contribution",
    "economic_wellbeing",
)
UNITS = ("percent", "score", "count", "yes_no")
DIRECTIONS = ("higher_is_better", "lower_is_better")
INDICATOR_STATUSES = ("active", "retired")
NEED_DOMAINS = (
    "emotional_wellbeing",
    "behaviour",
    "learning_and_education",
    "physical_health",
    "family_relationships",
    "identity",
    "independence_skills",
    "risk_and_safety",
    "social_relationships",
    "communication",
)
NEED_LEVELS = ("low", "medium", "high", "complex")
# The codes of the outcome framework Acorn ships (services/outcomes/domain/framework.py defines
# each indicator). Commissioning refuses an intervention targeting any other code, so a typo
# cannot be commissioned: it knows the framework from here rather than from the outcomes
# service's indicator events because it consumes no events, and an intervention must be judged
# at once, not after a consumer catches up. A council indicator added through the outcomes API
# is added here too before interventions can target it.
FRAMEWORK_CODES = (
    "school_attendance",
    "sdq_total_difficulties",
    "placement_moves_12m",
    "missing_episodes_12m",
    "suspensions_12m",
    "permanently_excluded",
    "pep_in_place",
    "ks2_expected_standard",
    "attainment_8",
    "health_assessment_up_to_date",
    "dental_check_up_to_date",
    "immunisations_up_to_date",
    "offended_12m",
    "in_eet",
    "suitable_accommodation",
)

INDICATOR_ADDED = event_type("outcomes", "indicator_added")
INDICATOR_VERSIONED = event_type("outcomes", "indicator_versioned")
INDICATOR_RETIRED = event_type("outcomes", "indicator_retired")
OBSERVATION_RECORDED = event_type("outcomes", "observation_recorded")
OBSERVATION_CORRECTED = event_type("outcomes", "observation_corrected")
OBSERVATION_WITHDRAWN = event_type("outcomes", "observation_withdrawn")
NEEDS_ASSESSED = event_type("outcomes", "needs_assessed")


class AgeBand(PayloadPart):
    min_age = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=25))
    max_age = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=25))


class Indicator(PayloadPart):
    code = IndicatorCode(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True)
    outcome_area = fields.String(required=True, validate=validate.OneOf(OUTCOME_AREAS))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    min_value = fields.Float(required=True)
    max_value = fields.Float(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    improvement_threshold = fields.Float(required=True, validate=validate.Range(min=0))
    age_band = fields.Nested(AgeBand, load_default=None, allow_none=True)
    introduced_on = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(INDICATOR_STATUSES))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class IndicatorChanged(Schema):
    indicator = fields.Nested(Indicator, required=True)


@register(INDICATOR_ADDED)
class IndicatorAdded(IndicatorChanged):
    pass


@register(INDICATOR_VERSIONED)
class IndicatorVersioned(IndicatorChanged):
    pass


@register(INDICATOR_RETIRED)
class IndicatorRetired(IndicatorChanged):
    pass


OBSERVATION_SOURCES = ("provider", "council")


class Observation(Schema):
    """`source` says who recorded it: a provider (`provider_id`), or the council from one of its
    own systems (`source_system`, e.g. the SSDA903 return; `provider_id` is then null)."""

    observation_id = EntityId(required=True)
    child_ref = ChildRef(required=True, refuse_name_like=False)
    indicator_code = IndicatorCode(required=True)
    indicator_version = fields.Integer(required=True, strict=True)
    value = fields.Float(required=True)
    observed_on = fields.Date(required=True)
    provider_id = EntityId(required=True, allow_none=True)
    intervention_id = EntityId(load_default=None, allow_none=True)
    evidence_ref = fields.String(load_default=None, allow_none=True)
    recorded_at = fields.DateTime(required=True)
    source = fields.String(load_default="provider", validate=validate.OneOf(OBSERVATION_SOURCES))
    source_system = fields.String(load_default=None, allow_none=True)


@register(OBSERVATION_RECORDED)
class ObservationRecorded(Observation):
    pass


@register(OBSERVATION_CORRECTED)
class ObservationCorrected(Observation):
    """A new observation that replaces `supersedes` from now on; the original stays in history."""

    supersedes = EntityId(required=True)


@register(OBSERVATION_WITHDRAWN)
class ObservationWithdrawn(Schema):
    observation_id = EntityId(required=True)
    child_ref = ChildRef(required=True, refuse_name_like=False)
    indicator_code = IndicatorCode(required=True)
    provider_id = EntityId(required=True, allow_none=True)
    reason = fields.String(required=True)
    withdrawn_at = fields.DateTime(required=True)


@register(NEEDS_ASSESSED)
class NeedsAssessed(Schema):
    assessment_id = EntityId(required=True)
    child_ref = ChildRef(required=True, refuse_name_like=False)
    assessed_on = fields.Date(required=True)
    scores = fields.Dict(
        keys=fields.String(validate=validate.OneOf(NEED_DOMAINS)),
        values=fields.Integer(strict=True, validate=validate.Range(min=0, max=3)),
        required=True,
    )
    need_level = fields.String(required=True, validate=validate.OneOf(NEED_LEVELS))
    provider_id = EntityId(load_default=None, allow_none=True)
    assessed_by_role = fields.String(required=True)
