"""The ledger's HTTP API (port 8003): `create_app(settings=None)`; nothing connects until used."""

from __future__ import annotations

from flask import Flask

from services.ledger import settings as ledger_settings
from services.ledger.bootstrap import mongo_ledger
from services.ledger.entrypoints.views import accruals, exports, finance, reports, transactions
from services.ledger.entrypoints.views.access import LedgerContext
from shared.config import ServiceSettings
from shared.http.app import create_service_app
from shared.runtime import ServiceRuntime

DESCRIPTION = (
    "The cost ledger: integer pence, balanced double entry, append-only. Finance posts "
    "commitments, accruals, invoices, payments, adjustments and reversals, runs accruals, and "
    "asks for balances, spend, budgets, invoice matching, reconciliation and CSV exports; closes "
    "months; and forecasts the year's outturn with the exceptions behind its variance. Money: "
    "every `*_pence` field is whole pence, a JSON integer; `amount` and `unit_price`, whose names "
    'carry no unit, take integer pence or pounds as a decimal string ("1200.50").'
)


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or ledger_settings.load_api()
    runtime = ServiceRuntime.connect(settings)
    return create_service_app(
        settings=settings,
        title="Acorn ledger",
        description=DESCRIPTION,
        blueprints=[transactions.blp, accruals.blp, reports.blp, exports.blp, finance.blp],
        db=runtime.db,
        readiness_checks=runtime.readiness_checks(),
        extension=LedgerContext(runtime=runtime, ledger=mongo_ledger(runtime)),
    )
