"""Who may do what, the request context, and turning the ledger's refusals into problems.

Finance writes. Auditors and admins (and finance) read everything. Commissioners read spend and
budgets. A provider reads only the transactions and spend of its own interventions: its reads are
narrowed to its token's provider id, so nothing of another provider, per child or otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app

from services.ledger.adapters.exports import Names
from services.ledger.domain.model import RuleBroken
from services.ledger.service_layer.handlers import Ledger
from shared.audit import AuditLog
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, FINANCE, PROVIDER, Caller
from shared.http.problems import ProblemError
from shared.http.security import require_role
from shared.runtime import ServiceRuntime

FULL_READERS = (FINANCE, AUDITOR, ADMIN)


@dataclass
class LedgerContext:
    runtime: ServiceRuntime
    ledger: Ledger

    @property
    def audit(self) -> AuditLog:
        return self.runtime.audit


def context() -> LedgerContext:
    ctx: LedgerContext = current_app.extensions["acorn"]
    return ctx


def names() -> Names:
    """Intervention titles and provider names, for exports to print beside ids."""
    commissioning = context().ledger.commissioning
    return Names(
        interventions={
            t.intervention_id: t.title for t in commissioning.interventions() if t.title
        },
        providers=commissioning.provider_names(),
    )


def finance() -> Caller:
    return require_role(FINANCE)


def full_reader() -> Caller:
    return require_role(*FULL_READERS)


def reader(*also: str) -> tuple[Caller, str | None]:
    """The caller and the provider its reads are narrowed to (None: not narrowed)."""
    caller = require_role(*FULL_READERS, *also)
    unnarrowed = FULL_READERS + tuple(role for role in also if role == COMMISSIONER)
    if caller.has_any(*unnarrowed):
        return caller, None
    return caller, caller.provider_id  # only the provider role let it in


def transaction_reader() -> tuple[Caller, str | None]:
    return reader(PROVIDER)


def spend_reader() -> tuple[Caller, str | None]:
    return reader(COMMISSIONER, PROVIDER)


def budget_reader() -> Caller:
    return require_role(*FULL_READERS, COMMISSIONER)


def problem(error: RuleBroken) -> ProblemError:
    return ProblemError(
        error.status,
        f"{error.field}: {error.reason}",
        errors=[{"field": error.field, "reason": error.reason}],
    )


@contextmanager
def audited(caller: Caller, action: str, subject: str, **detail: Any) -> Iterator[dict[str, Any]]:
    """Audit the write in the block: done (with what the block adds to the yielded detail), or
    refused with the ledger's reason, which the caller gets as a problem document."""
    record = dict(detail)
    try:
        yield record
    except RuleBroken as error:
        context().audit.record(
            caller, action, subject, outcome="refused", detail={**record, "reason": str(error)}
        )
        raise problem(error) from error
    context().audit.record(caller, action, subject, detail=record)
