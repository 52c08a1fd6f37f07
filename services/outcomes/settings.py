"""The outcomes service's own settings, read from the environment at start.

- `ACORN_OUTCOMES_ENROLMENT_GRACE_DAYS` (default 30): for how many days after an enrolment ends
  its provider may still post observations dated in that window;
- `ACORN_OUTCOMES_BASELINE_DAYS` (default 30): how many days before an enrolment starts its
  provider may post observations (the intake baseline change is measured from);
- `ACORN_OUTCOMES_INDICATOR_GUARDRAIL` (default 20): above this many active indicators the API
  warns, because too many indicators hide the ones that matter;
- `ACORN_OUTCOMES_BATCH_LIMIT` (default 1000): the most observations one batch request carries.
"""

from __future__ import annotations

from shared.config import ServiceSettings
from shared.runtime import load_api_settings, load_worker_settings
from shared.settings import Setting, parse_non_negative_int, parse_positive_int

SERVICE = "outcomes"

EXTRAS = {
    "enrolment_grace_days": Setting(
        "ACORN_OUTCOMES_ENROLMENT_GRACE_DAYS", parse=parse_non_negative_int, default="30"
    ),
    "baseline_days": Setting(
        "ACORN_OUTCOMES_BASELINE_DAYS", parse=parse_non_negative_int, default="30"
    ),
    "indicator_guardrail": Setting(
        "ACORN_OUTCOMES_INDICATOR_GUARDRAIL", parse=parse_positive_int, default="20"
    ),
    "batch_limit": Setting("ACORN_OUTCOMES_BATCH_LIMIT", parse=parse_positive_int, default="1000"),
}


def load_api() -> ServiceSettings:
    return load_api_settings(SERVICE, EXTRAS)


def load_worker() -> ServiceSettings:
    return load_worker_settings(SERVICE, EXTRAS)
