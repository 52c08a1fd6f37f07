"""Wiring: the handlers' `Ledger` over MongoDB (the service) or in-memory fakes (unit tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.ledger.adapters.finance_records import FakeFinanceRecords, MongoFinanceRecords
from services.ledger.adapters.mongo import MongoCommissioningView, MongoTransactions
from services.ledger.adapters.repository import FakeCommissioningView, FakeTransactions
from services.ledger.service_layer.handlers import Ledger, utc_now
from shared.runtime import ServiceRuntime


def mongo_ledger(runtime: ServiceRuntime) -> Ledger:
    return Ledger(
        transactions=MongoTransactions(runtime.db, runtime.outbox),
        commissioning=MongoCommissioningView(runtime.db),
        records=MongoFinanceRecords(runtime.db),
    )


def fake_ledger(clock: Callable[[], datetime] = utc_now) -> Ledger:
    return Ledger(
        transactions=FakeTransactions(),
        commissioning=FakeCommissioningView(),
        records=FakeFinanceRecords(),
        clock=clock,
    )
