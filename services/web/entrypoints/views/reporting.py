"""What the report pages share: the period form's defaults and the value API's refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request

from services.web.adapters.api import ApiError, Backends, Download
from services.web.adapters.cache import TtlCache
from services.web.domain.tables import report_params, years_covered
from services.web.entrypoints.forms import FormErrors

PERIOD_FIELDS = {"fy", "from", "to", "basis", "rule", "group_by", "indicator", "since"}
# every official reads every intervention and provider, so the lists (the years they span, the
# names of a report's groups) are the same for all of them; a new one shows within a few minutes
_interventions = TtlCache[list[dict[str, Any]]](seconds=300)
_providers = TtlCache[list[dict[str, Any]]](seconds=300)


def interventions(api: Backends) -> list[dict[str, Any]]:
    """Every intervention, as an official reads them (a few minutes old at most)."""
    return _interventions.get("all", api.commissioning.interventions)


def providers(api: Backends) -> list[dict[str, Any]]:
    return _providers.get("all", api.commissioning.providers)


def financial_years(api: Backends) -> tuple[list[int], int]:
    return years_covered(interventions(api), today=datetime.now(UTC).date())


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


def passed_on(download: Download) -> Response:
    """A service's file (CSV, XLSX) handed to the browser as the service named it."""
    return Response(
        download.body,
        content_type=download.content_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
