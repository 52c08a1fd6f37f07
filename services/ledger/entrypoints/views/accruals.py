"""Accrual runs: bring the accruals of whole months up to what commissioning now says."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.ledger.domain.calendar import month_key, months
from services.ledger.entrypoints.views import schemas
from services.ledger.entrypoints.views.access import audited, context, finance
from services.ledger.service_layer import handlers
from services.ledger.service_layer.commands import RunAccruals
from shared.http.blueprint import Blueprint
from shared.http.idempotency import idempotent

blp = Blueprint("accrual_runs", __name__, description="Accrual runs.")


@blp.route("/accrual-runs")
class AccrualRuns(MethodView):
    @idempotent
    @blp.arguments(schemas.AccrualRunIn)
    @blp.response(201, schemas.AccrualRunOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Accrue the calendar months from `period_start` (a 1st) to `period_end` (a last day).

        Repeatable: each (enrolment or block contract, month) is compared with what is already
        accrued and only the difference is posted, so running a period twice posts nothing new.
        Months once run are also re-accrued when later commissioning events change them.
        """
        caller = finance()
        command = RunAccruals(
            period_start=body["period_start"],
            period_end=body["period_end"],
            source=f"accrual-run:{caller.subject}",
        )
        subject = f"{command.period_start.isoformat()}..{command.period_end.isoformat()}"
        with audited(caller, "run_accruals", subject) as log:
            posted = handlers.run_accruals(command, ledger=context().ledger)
            log["posted"] = [txn.transaction_id for txn in posted]
        return {
            "period_start": command.period_start.isoformat(),
            "period_end": command.period_end.isoformat(),
            "months": [
                month_key(first) for first in months((body["period_start"], body["period_end"]))
            ],
            "posted": [schemas.transaction_out(txn) for txn in posted],
        }
