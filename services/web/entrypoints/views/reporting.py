"""What the report pages share: the period form's defaults and the value API's refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request

from services.web.adapters.api import ApiError, Backends
from services.web.adapters.cache import TtlCache
from services.web.domain.tables import report_params, years_covered
from services.web.entrypoints.forms import FormErrors

PERIOD_FIELDS = {"fy", "from", "to", "basis", "rule", "group_by", "indicator", "since"}
# every official reads every intervention, so the years they span are the same for all of them;
# a newly commissioned year shows within a few minutes
_years = TtlCache[tuple[list[int], int]](seconds=300)


def financial_years(api: Backends) -> tuple[list[int], int]:
    return _years.get(
        "years",
        lambda: years_covered(api.commissioning.interventions(), today=datetime.now(UTC).date()),
    )


def requested_params(api: Backends) -> tuple[dict[str, str], list[int]]:
    years, default_fy = financial_years(api)
    return report_params(request.args.to_dict(), default_fy=default_fy), years


def fetch_report(
    api: Backends, name: str, params: dict[str, str]
) -> tuple[dict[str, Any] | None, FormErrors]:
    """The report, or the value API's refusal of the parameters as form errors."""
    errors = FormErrors()
    try:
        return api.value.report(name, params), errors
    except ApiError as error:
        if error.status not in (400, 422):
            raise
        errors.add_api_error(error, known_fields=PERIOD_FIELDS)
        return None, errors
