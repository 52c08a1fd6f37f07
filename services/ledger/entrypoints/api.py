"""The ledger's HTTP API (port 8003): `create_app(settings=None)`.

Finance's reports need every transaction and revision in memory (the facts cache,
adapters/finance_records.py). The process reads them as it starts, in a thread, and answers
`/readyz` with 503 until it has: the first report after a restart does not wait for the reading.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from pymongo.errors import InvalidOperation, PyMongoError

from services.ledger import settings as ledger_settings
from services.ledger.bootstrap import mongo_ledger
from services.ledger.entrypoints.views import accruals, exports, finance, reports, transactions
from services.ledger.entrypoints.views.access import LedgerContext
from services.ledger.service_layer.handlers import Ledger
from shared.config import ServiceSettings
from shared.http.app import create_service_app
from shared.runtime import ServiceRuntime

logger = logging.getLogger(__name__)

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
    ledger = mongo_ledger(runtime)
    checks = runtime.readiness_checks()
    checks["facts"] = read_facts_in_background(ledger)
    return create_service_app(
        settings=settings,
        title="Acorn ledger",
        description=DESCRIPTION,
        blueprints=[transactions.blp, accruals.blp, reports.blp, exports.blp, finance.blp],
        db=runtime.db,
        readiness_checks=checks,
        extension=LedgerContext(runtime=runtime, ledger=ledger),
    )


class FactsNotRead(Exception):
    pass


def read_facts_in_background(ledger: Ledger, retry_every_s: float = 2.0) -> Callable[[], None]:
    """Start reading the facts cache; the readiness check that passes once it is read."""
    read = threading.Event()

    def reading() -> None:
        while not read.is_set():
            try:
                ledger.records.facts(ledger.transactions)
                read.set()
            except InvalidOperation:  # the database client was closed: the app is shutting down
                return
            except PyMongoError:
                logger.warning("reading the ledger's facts failed; retrying")
                time.sleep(retry_every_s)

    threading.Thread(target=reading, name="ledger-facts", daemon=True).start()

    def facts_read() -> None:
        if not read.is_set():
            raise FactsNotRead("the ledger is still reading its facts")

    return facts_read
