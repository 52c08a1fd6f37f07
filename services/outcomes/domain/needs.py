"""Needs assessments: a child's scores on fixed need domains, and the need level they give.

Each of the ten domains (`NEED_DOMAINS` in the event catalogue) is scored 0-3:
0 no need, 1 some need met by universal services, 2 need requiring targeted support,
3 acute need requiring specialist support. Every domain must be scored.

The need level, used to compare like with like (valuing care), follows one rule, checked top down:
- **complex**: three or more domains at 3, or a total of 20 or more;
- **high**: any domain at 3, or a total of 13 or more;
- **medium**: a total of 6 or more;
- **low**: otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from shared.events.catalogue.outcomes import NEED_DOMAINS

MAX_SCORE = 3
COMPLEX_ACUTE_DOMAINS = 3
COMPLEX_TOTAL = 20
HIGH_TOTAL = 13
MEDIUM_TOTAL = 6


def score_problems(scores: Mapping[str, int]) -> dict[str, str]:
    """Field -> reason for every missing, unknown or out-of-range score."""
    problems = {
        f"scores.{domain}": "must be scored 0-3" for domain in NEED_DOMAINS if domain not in scores
    }
    for domain, score in scores.items():
        if domain not in NEED_DOMAINS:
            problems[f"scores.{domain}"] = "is not a need domain"
        elif isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_SCORE:
            problems[f"scores.{domain}"] = "must be a whole number from 0 to 3"
    return problems


def need_level(scores: Mapping[str, int]) -> str:
    total = sum(scores.values())
    acute = sum(1 for score in scores.values() if score == MAX_SCORE)
    if acute >= COMPLEX_ACUTE_DOMAINS or total >= COMPLEX_TOTAL:
        return "complex"
    if acute or total >= HIGH_TOTAL:
        return "high"
    if total >= MEDIUM_TOTAL:
        return "medium"
    return "low"


@dataclass(frozen=True)
class NeedsAssessment:
    assessment_id: str
    child_ref: str
    assessed_on: date
    scores: dict[str, int]
    need_level: str
    assessed_by_role: str
    provider_id: str | None = None
