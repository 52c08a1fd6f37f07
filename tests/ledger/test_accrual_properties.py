"""Property: however commissioning changes and accrual runs interleave (amendments, enrolments
ending, block contracts, reversed accruals), after every step each accrual chain adds up, line by
line, to exactly what current knowledge expects for every month run, and the books balance."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.bootstrap import fake_ledger
from services.ledger.domain import accrual
from services.ledger.domain.calendar import month_end, month_key
from services.ledger.domain.model import RuleBroken
from services.ledger.service_layer import handlers, queries
from services.ledger.service_layer.commands import ReverseTransaction, RunAccruals
from services.ledger.service_layer.handlers import Ledger
from tests.ledger.builders import FIXED_NOW, enrolment, intervention

START = date(2025, 1, 1)
MONTHS = [date(2025, m, 1) for m in range(1, 5)]
days = st.integers(0, 119).map(lambda n: START + timedelta(days=n))


@dataclass(frozen=True)
class Amend:
    effective_from: date
    price: int


@dataclass(frozen=True)
class Enrol:
    child: int
    start: date


@dataclass(frozen=True)
class End:
    child: int
    end: date


@dataclass(frozen=True)
class Run:
    first: int
    last: int


@dataclass(frozen=True)
class Undo:
    index: int


steps = st.lists(
    st.one_of(
        st.builds(Amend, days, st.integers(0, 50_000)),
        st.builds(Enrol, st.integers(0, 2), days),
        st.builds(End, st.integers(0, 2), days),
        st.builds(Run, st.integers(0, 3), st.integers(0, 3)),
        st.builds(Undo, st.integers(0, 50)),
    ),
    max_size=15,
)


def expected_chains(ledger: Ledger) -> dict[str, list[Any]]:
    terms = ledger.commissioning.intervention("iv-1")
    assert terms is not None
    enrolled = ledger.commissioning.enrolments_of("iv-1")
    chains = {}
    for first in ledger.commissioning.accrued_months():
        month = month_key(first)
        chains[f"accrual:block:iv-1:{month}"] = accrual.block_lines(terms, enrolled, first)
        for e in enrolled:
            chains[f"accrual:{e.enrolment_id}:{month}"] = accrual.enrolment_lines(terms, e, first)
    return chains


def check(ledger: Ledger) -> None:
    result = queries.reconciliation(ledger=ledger)
    assert result.balanced, result.violations
    links: dict[str, list[Any]] = {}
    for txn in ledger.transactions.all():
        original = txn.reverses or txn.transaction_id
        if original.startswith("accrual:"):
            links.setdefault(original.rsplit(":", 1)[0], []).extend(txn.lines)
    for chain, expected in expected_chains(ledger).items():
        assert net(links.get(chain, [])) == net(expected), chain


def net(lines: list[Any]) -> dict[tuple[Any, ...], int]:
    """Lines added up per (child, start, end), without the ones that cancel out."""
    totals: dict[tuple[Any, ...], int] = {}
    for line in lines:
        key = (line.child_ref, line.start, line.end)
        totals[key] = totals.get(key, 0) + line.cost_pence
    return {key: pence for key, pence in totals.items() if pence}


@settings(max_examples=50, deadline=None)
@given(model=st.sampled_from(["per_child_week", "per_child_day", "block_per_month"]), ops=steps)
def test_accrual_chains_always_converge_on_current_knowledge(model: str, ops: list[Any]) -> None:
    ledger = fake_ledger(clock=lambda: FIXED_NOW)
    prices = [(START, 7_000)]
    version = 1
    children: dict[int, Any] = {}

    def commission() -> None:
        terms = intervention(
            pricing_model=model, prices=tuple(prices), end=date(2025, 4, 20), version=version
        )
        handlers.record_intervention(terms, source="e", ledger=ledger)

    commission()
    for op in ops:
        if isinstance(op, Amend):
            prices.append((op.effective_from, op.price))
            version += 1
            commission()
        elif isinstance(op, Enrol) and op.child not in children:
            children[op.child] = enrolment(
                f"en-{op.child}", child_ref=f"C{op.child:03d}", start=op.start
            )
            handlers.record_enrolment(children[op.child], source="e", ledger=ledger)
        elif isinstance(op, End) and op.child in children:
            current = children[op.child]
            children[op.child] = enrolment(
                current.enrolment_id,
                child_ref=current.child_ref,
                start=current.start_date,
                end=max(op.end, current.start_date),
                version=current.version + 1,
            )
            handlers.record_enrolment(children[op.child], source="e", ledger=ledger)
        elif isinstance(op, Run):
            first, last = sorted((op.first, op.last))
            run = RunAccruals(MONTHS[first], month_end(MONTHS[last]), source="run")
            handlers.run_accruals(run, ledger=ledger)
            assert handlers.run_accruals(run, ledger=ledger) == []  # a second run: nothing new
        elif isinstance(op, Undo):
            accruals = [t for t in ledger.transactions.all() if t.kind == "accrual"]
            if accruals:
                target = accruals[op.index % len(accruals)].transaction_id
                with contextlib.suppress(RuleBroken):  # already reversed
                    handlers.reverse_transaction(
                        ReverseTransaction(reverses=target, description="d", source="s"),
                        ledger=ledger,
                    )
                handlers.record_intervention(  # the next event re-accrues what was reversed
                    intervention(
                        pricing_model=model,
                        prices=tuple(prices),
                        end=date(2025, 4, 20),
                        version=version,
                    ),
                    source="e",
                    ledger=ledger,
                )
        check(ledger)
