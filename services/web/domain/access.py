"""What each role may see, so pages never offer what the APIs would refuse.

Mirrors the services' own rules (the APIs enforce them; this only decides what to show):
value reports for finance, commissioners, auditors and admins; commissioning records for those
officials; cost lines (ledger transactions) for finance, auditors and admins; children's
observations for commissioners, auditors and admins; a provider its own children and invoices;
the story behind a curve written by finance and commissioners; the forecast, prices above the
framework's ceilings and budgets that will run out for the report readers; high-cost placements,
paying for what ended and the closed months for finance, auditors and admins; saving a forecast
and closing or reopening a month for finance only.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import ADMIN, AUDITOR, COMMISSIONER, FINANCE, PROVIDER

REPORT_READERS = frozenset({FINANCE, COMMISSIONER, AUDITOR, ADMIN})
COMMISSIONING_READERS = frozenset({COMMISSIONER, FINANCE, AUDITOR, ADMIN})
COMMISSIONERS = frozenset({COMMISSIONER})
COST_LINE_READERS = frozenset({FINANCE, AUDITOR, ADMIN})
OBSERVATION_READERS = frozenset({COMMISSIONER, AUDITOR, ADMIN})
PROVIDERS = frozenset({PROVIDER})
STORY_WRITERS = frozenset({FINANCE, COMMISSIONER})
FORECAST_READERS = REPORT_READERS
LEDGER_FULL_READERS = COST_LINE_READERS  # every ledger report, per child included
FINANCE_OFFICERS = frozenset({FINANCE})


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    text: str
    roles: frozenset[str]


NAVIGATION = (
    NavItem("home.index", "Home", frozenset({*REPORT_READERS, PROVIDER})),
    NavItem("reports.cost_per_outcome", "Cost per outcome", REPORT_READERS),
    NavItem("reports.report_cards", "Report cards", REPORT_READERS),
    NavItem("reports.turn_the_curve", "Turn the curve", REPORT_READERS),
    NavItem("reports.reconciliation", "Reconciliation", REPORT_READERS),
    NavItem("finance.forecast", "Forecast", FORECAST_READERS),
    NavItem("finance.exceptions", "Exceptions", FORECAST_READERS),
    NavItem("finance.months", "Month close", LEDGER_FULL_READERS),
    NavItem("commissioning.providers", "Providers", COMMISSIONING_READERS),
    NavItem("commissioning.interventions", "Interventions", COMMISSIONING_READERS),
    NavItem("commissioning.enrolments", "Enrolments", COMMISSIONING_READERS),
    NavItem("provider.children", "Children", PROVIDERS),
    NavItem("provider.new_reading", "Post a reading", PROVIDERS),
    NavItem("provider.upload", "Upload a spreadsheet", PROVIDERS),
    NavItem("provider.interventions", "Interventions", PROVIDERS),
    NavItem("provider.invoices", "Invoices", PROVIDERS),
)


def may(roles: frozenset[str], allowed: frozenset[str]) -> bool:
    return bool(roles & allowed)


def navigation(roles: frozenset[str]) -> list[NavItem]:
    return [item for item in NAVIGATION if may(roles, item.roles)]
