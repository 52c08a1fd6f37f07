"""Source records a drill-down links to: a ledger transaction, a child's observations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from services.web.domain.access import COST_LINE_READERS, OBSERVATION_READERS
from services.web.entrypoints.session import backends, signed_in

blp = Blueprint("records", __name__)


@blp.get("/transactions/<transaction_id>")
@signed_in(COST_LINE_READERS)
def transaction(transaction_id: str) -> Any:
    return render_template(
        "records/transaction.html", transaction=backends().ledger.transaction(transaction_id)
    )


@blp.get("/children/<child_ref>")
@signed_in(OBSERVATION_READERS)
def child(child_ref: str) -> Any:
    observations = backends().outcomes.observations(child_ref)
    return render_template("records/child.html", child_ref=child_ref, observations=observations)
