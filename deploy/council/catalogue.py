"""What the synthetic council buys, what it costs, and what it truly does for children.

Weekly unit costs are drawn uniformly from published ranges (2023-24 prices, whole pence):

- independent fostering £800-£1,000 a week: Competition and Markets Authority, *Children's social
  care market study: final report* (2022), average independent fostering agency placement fee;
- in-house fostering £400-£500 a week: PSSRU (Jones and Burns), *Unit Costs of Health and Social
  Care 2023*, local authority foster care; DfE, *Section 251 outturn 2022-23* (fostering line);
- residential children's homes £4,000-£7,000 a week: CMA market study (2022), average and upper
  quartile children's home fees; LGA, *Children's residential care market* briefings;
- family support £150-£400 a child-week and early help (block contracts, £50-£110 a place-week):
  DfE, *Section 251 outturn 2022-23* (family support services and Sure Start/early help lines)
  and PSSRU *Unit Costs of Health and Social Care 2023* (family support worker hour);
- SEND support £40-£80 a session (two a week): DfE, *Section 251 outturn* (high needs block);
  PSSRU *Unit Costs* (teaching assistant / specialist support hour);
- therapeutic support £90-£150 a session (weekly): PSSRU *Unit Costs of Health and Social Care
  2023* (clinical psychologist, CAMHS contact);
- education support £60-£150 a child-week: DfE, *Section 251 outturn* (virtual school /
  education support for looked-after children).

The true effects below are the generator's own assumptions (the "known truth" the judge checks
against), in the indicator's better direction at full strength: e.g. family support raises school
attendance by 5 percentage points for a child of medium need once the support has run 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    pricing_model: str
    price_low: int
    price_high: int
    sessions_a_week: int
    days_low: int
    days_high: int
    provider_kind: str
    effects: dict[str, float]  # indicator -> effect at medium need, better direction


CATEGORIES: dict[str, Category] = {
    "in_house_fostering": Category(
        "per_child_week", 40_000, 50_000, 0, 180, 720, "in_house",
        {"placement_moves_12m": 0.8, "sdq_total_difficulties": 3.0, "school_attendance": 4.0},
    ),
    "independent_fostering": Category(
        "per_child_week", 80_000, 100_000, 0, 180, 720, "independent",
        {"placement_moves_12m": 0.7, "sdq_total_difficulties": 2.5, "school_attendance": 3.5},
    ),
    "residential_care": Category(
        "per_child_week", 400_000, 700_000, 0, 90, 540, "independent",
        {"missing_episodes_12m": 2.0, "sdq_total_difficulties": 2.0, "placement_moves_12m": 0.5},
    ),
    "family_support": Category(
        "per_child_week", 15_000, 40_000, 0, 90, 270, "voluntary",
        {"school_attendance": 5.0, "sdq_total_difficulties": 2.0},
    ),
    "early_help": Category(
        "block_per_month", 5_000, 11_000, 0, 60, 180, "voluntary",
        {"school_attendance": 3.0},
    ),
    "send_support": Category(
        "per_session", 4_000, 8_000, 2, 180, 365, "voluntary",
        {"school_attendance": 4.0, "suspensions_12m": 1.0},
    ),
    "therapeutic": Category(
        "per_session", 9_000, 15_000, 1, 84, 182, "independent",
        {"sdq_total_difficulties": 4.0},
    ),
    "education_support": Category(
        "per_child_week", 6_000, 15_000, 0, 90, 270, "voluntary",
        {"school_attendance": 6.0, "suspensions_12m": 0.8},
    ),
}  # fmt: skip

TITLES = {
    "in_house_fostering": "In-house foster care",
    "independent_fostering": "Independent fostering placements (spot)",
    "residential_care": "Residential children's home placements (spot)",
    "family_support": "Intensive family support",
    "early_help": "Early help family hub (block contract)",
    "send_support": "SEND support sessions",
    "therapeutic": "Therapeutic support sessions",
    "education_support": "Virtual school education support",
}

NEED_LEVELS = ("low", "medium", "high", "complex")
# the same support does less for a child with little need and less again when needs are complex
NEED_MULTIPLIER = {"low": 0.6, "medium": 1.0, "high": 1.2, "complex": 0.8}


@dataclass(frozen=True)
class Trajectory:
    """An indicator's natural course: a baseline by need, a drift a year and noise (all in the
    indicator's own units); observed values are whole numbers."""

    sign: int  # +1 higher is better, -1 lower is better
    base: float
    per_need: float  # baseline moves this much (in worse direction) per need step
    spread: float
    drift: float  # better-direction change a year at low need; falls by this per need step
    noise: float
    low: float
    high: float


TRAJECTORIES: dict[str, Trajectory] = {
    "school_attendance": Trajectory(1, 93.0, 6.0, 4.0, 1.0, 3.0, 0, 100),
    "sdq_total_difficulties": Trajectory(-1, 10.0, 4.0, 3.0, 0.5, 2.0, 0, 40),
    "placement_moves_12m": Trajectory(-1, 0.8, 0.7, 0.5, 0.15, 0.5, 0, 52),
    "missing_episodes_12m": Trajectory(-1, 0.5, 1.5, 0.8, 0.2, 0.8, 0, 365),
    "suspensions_12m": Trajectory(-1, 0.3, 0.8, 0.5, 0.1, 0.6, 0, 100),
}

# who the council serves, and the pathways they take: (main categories with weights, add-ons)
PATHWAYS = {
    "looked_after": (
        {"in_house_fostering": 45, "independent_fostering": 40, "residential_care": 15},
        {"therapeutic": 1, "education_support": 1},
        0.5,
    ),
    "send": ({"send_support": 1}, {"therapeutic": 1, "family_support": 1}, 0.4),
    "early_help": ({"early_help": 60, "family_support": 40}, {"education_support": 1}, 0.25),
}
# scores 0-3 on each need domain: chance of a 2 and of a 3, by pathway
NEED_SEVERITY = {"looked_after": (0.35, 0.15), "send": (0.3, 0.06), "early_help": (0.15, 0.02)}
