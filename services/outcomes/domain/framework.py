"""The default outcome framework Acorn ships: a short list of high-leverage indicators.

Results-Based Accountability warns that too many indicators hide the ones that matter, so the
default is fifteen indicators across the five Every Child Matters outcomes, most of them already
collected for children looked after, so providers report what councils already return to the DfE.
A council adds its own, versions or retires these; it does not start from hundreds.

Every default indicator is introduced on 2000-01-01 so historic readings can be posted. Improvement
thresholds are starting points for a council to version, chosen as the smallest change a
practitioner would call real (one fewer placement move, five points of attendance).

Sources of the definitions (publication names):
- DfE, *Children looked after return (SSDA903): guide* and *Children looked after in England
  including adoptions* (outcomes data: OC2 for children looked after 12 months, OC3 for care
  leavers: health, dental, immunisations, offending, education/employment/training, accommodation);
- youthinmind, *Scoring the Strengths and Difficulties Questionnaire for age 4-17 or 18+* and DfE,
  *SSDA903 guide: strengths and difficulties questionnaire*;
- DfE, *Children looked after in England*: placement stability (three or more placements in a year)
  and the Children's Commissioner, *Stability Index*;
- DfE, *Statutory guidance on children who run away or go missing from home or care* (2014) and
  SSDA903 *missing and away from placement without authorisation* episodes;
- DfE, *Working together to improve school attendance* (2024); DfE, *Suspension and permanent
  exclusion from maintained schools, academies and pupil referral units in England* (2023);
- DfE, *Secondary accountability measures* (Attainment 8) and *Key stage 2 attainment* statistics;
  DfE, *Outcomes for children in need, including children looked after by local authorities*;
- DfE and DHSC, *Promoting the health and wellbeing of looked-after children* (2015);
- DfE, *Promoting the education of looked-after and previously looked-after children* (2018)
  (personal education plans).
"""

from __future__ import annotations

from datetime import date

from services.outcomes.domain.indicators import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    AgeBand,
    Indicator,
)

FRAMEWORK_START = date(2000, 1, 1)
SSDA903 = "DfE, Children looked after return (SSDA903) guide: outcomes (OC2/OC3)"
HEALTH_GUIDANCE = "DfE and DHSC, Promoting the health and wellbeing of looked-after children"


def _indicator(code: str, name: str, description: str, **definition: object) -> Indicator:
    return Indicator(
        code=code,
        name=name,
        description=description,
        introduced_on=FRAMEWORK_START,
        **definition,  # type: ignore[arg-type]
    )


def _yes_no(code: str, name: str, description: str, **definition: object) -> Indicator:
    return _indicator(
        code, name, description, unit="yes_no", min_value=0, max_value=1, improvement_threshold=1,
        **definition,
    )  # fmt: skip


DEFAULT_FRAMEWORK: tuple[Indicator, ...] = (
    _indicator(
        "school_attendance",
        "School attendance",
        "Share of possible school sessions the child attended this term, as a percentage.",
        outcome_area="enjoy_and_achieve",
        unit="percent",
        min_value=0,
        max_value=100,
        direction=HIGHER_IS_BETTER,
        improvement_threshold=5,
        age_band=AgeBand(5, 16),
        sources=("DfE, Working together to improve school attendance", SSDA903),
    ),
    _indicator(
        "sdq_total_difficulties",
        "Strengths and Difficulties (SDQ) total difficulties score",
        "The carer-completed SDQ total difficulties score, 0-40; lower means fewer difficulties.",
        outcome_area="be_healthy",
        unit="score",
        min_value=0,
        max_value=40,
        direction=LOWER_IS_BETTER,
        improvement_threshold=3,
        age_band=AgeBand(4, 17),
        sources=("youthinmind, Scoring the Strengths and Difficulties Questionnaire", SSDA903),
    ),
    _indicator(
        "placement_moves_12m",
        "Placement moves in the last 12 months",
        "How many times the child changed placement in the twelve months up to the date.",
        outcome_area="stay_safe",
        unit="count",
        min_value=0,
        max_value=52,
        direction=LOWER_IS_BETTER,
        improvement_threshold=1,
        sources=(
            "DfE, Children looked after in England",
            "Children's Commissioner, Stability Index",
        ),
    ),
    _indicator(
        "missing_episodes_12m",
        "Missing episodes in the last 12 months",
        "How many times the child went missing from home or placement in the last twelve months.",
        outcome_area="stay_safe",
        unit="count",
        min_value=0,
        max_value=365,
        direction=LOWER_IS_BETTER,
        improvement_threshold=1,
        sources=("DfE, Statutory guidance on children who run away or go missing", SSDA903),
    ),
    _indicator(
        "suspensions_12m",
        "Suspensions (fixed-term exclusions) in the last 12 months",
        "How many times the child was suspended from school in the last twelve months.",
        outcome_area="enjoy_and_achieve",
        unit="count",
        min_value=0,
        max_value=100,
        direction=LOWER_IS_BETTER,
        improvement_threshold=1,
        age_band=AgeBand(4, 18),
        sources=("DfE, Suspension and permanent exclusion guidance", SSDA903),
    ),
    _yes_no(
        "permanently_excluded",
        "Permanently excluded from school",
        "1 if the child has been permanently excluded and has no new school place, otherwise 0.",
        outcome_area="enjoy_and_achieve",
        direction=LOWER_IS_BETTER,
        age_band=AgeBand(4, 18),
        sources=("DfE, Suspension and permanent exclusion guidance",),
    ),
    _yes_no(
        "pep_in_place",
        "Personal education plan in place",
        "1 if the child has an up-to-date personal education plan, reviewed this term.",
        outcome_area="enjoy_and_achieve",
        direction=HIGHER_IS_BETTER,
        age_band=AgeBand(3, 18),
        sources=("DfE, Promoting the education of looked-after children",),
    ),
    _yes_no(
        "ks2_expected_standard",
        "Key stage 2: expected standard in reading, writing and maths",
        "1 if the child reached the expected standard in all three at the end of key stage 2.",
        outcome_area="enjoy_and_achieve",
        direction=HIGHER_IS_BETTER,
        age_band=AgeBand(10, 11),
        sources=("DfE, Key stage 2 attainment", "DfE, Outcomes for children in need"),
    ),
    _indicator(
        "attainment_8",
        "Key stage 4: Attainment 8 score",
        "The child's Attainment 8 score across eight GCSE-level qualifications, 0-90.",
        outcome_area="enjoy_and_achieve",
        unit="score",
        min_value=0,
        max_value=90,
        direction=HIGHER_IS_BETTER,
        improvement_threshold=5,
        age_band=AgeBand(14, 16),
        sources=("DfE, Secondary accountability measures", "DfE, Outcomes for children in need"),
    ),
    _yes_no(
        "health_assessment_up_to_date",
        "Health assessment up to date",
        "1 if the child's statutory health assessment is up to date, otherwise 0.",
        outcome_area="be_healthy",
        direction=HIGHER_IS_BETTER,
        sources=(HEALTH_GUIDANCE, SSDA903),
    ),
    _yes_no(
        "dental_check_up_to_date",
        "Dental check up to date",
        "1 if the child has had a dental check in the last twelve months, otherwise 0.",
        outcome_area="be_healthy",
        direction=HIGHER_IS_BETTER,
        sources=(HEALTH_GUIDANCE, SSDA903),
    ),
    _yes_no(
        "immunisations_up_to_date",
        "Immunisations up to date",
        "1 if the child's immunisations are up to date for their age, otherwise 0.",
        outcome_area="be_healthy",
        direction=HIGHER_IS_BETTER,
        sources=(HEALTH_GUIDANCE, SSDA903),
    ),
    _yes_no(
        "offended_12m",
        "Convicted or cautioned in the last 12 months",
        "1 if the child received a conviction, caution or youth conditional caution this year.",
        outcome_area="positive_contribution",
        direction=LOWER_IS_BETTER,
        age_band=AgeBand(10, 17),
        sources=(SSDA903,),
    ),
    _yes_no(
        "in_eet",
        "In education, employment or training",
        "1 if the young person is in education, employment or training, otherwise 0.",
        outcome_area="economic_wellbeing",
        direction=HIGHER_IS_BETTER,
        age_band=AgeBand(16, 21),
        sources=("DfE, Children looked after in England: care leavers", SSDA903),
    ),
    _yes_no(
        "suitable_accommodation",
        "In suitable accommodation",
        "1 if the young person's accommodation is judged suitable, otherwise 0.",
        outcome_area="economic_wellbeing",
        direction=HIGHER_IS_BETTER,
        age_band=AgeBand(16, 21),
        sources=("DfE, Children looked after in England: care leavers", SSDA903),
    ),
)
