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


def commissioning_changes(children: int) -> list[st.SearchStrategy[Any]]:
    """Price amendments, and enrolments and ends of up to `children` children."""
    return [
        st.builds(Amend, days, st.integers(0, 50_000)),
        st.builds(Enrol, st.integers(0, children - 1), days),
        st.builds(End, st.integers(0, children - 1), days),
    ]


steps = st.lists(
    st.one_of(
        *commissioning_changes(3),
        st.builds(Run, st.integers(0, 3), st.integers(0, 3)),
        st.builds(Undo, st.integers(0, 50)),
    ),
    max_size=15,
)


def ended(current: Any, on: date) -> Any:
    """The next version of enrolment `current`: ended on `on`, never before it started."""
    return enrolment(
        current.enrolment_id,
        intervention_id=current.intervention_id,
        child_ref=current.child_ref,
        start=current.start_date,
        end=max(on, current.start_date),
        version=current.version + 1,
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
            children[op.child] = ended(children[op.child], op.end)
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


@dataclass(frozen=True)
class Redeliver:
    index: int


changes = st.lists(
    st.one_of(*commissioning_changes(4), st.builds(Redeliver, st.integers(0, 50))), max_size=15
)


def snapshots_of(model: str, ops: list[Any]) -> list[handlers.Snapshot]:
    """The commissioning events the ops would send, in order, redeliveries included: iv-1 is
    amended; odd children are enrolled on iv-2, which never changes, so some batches touch an
    intervention through its enrolments only."""
    prices = [(START, 7_000)]
    sent: list[handlers.Snapshot] = []

    def send(terms: Any) -> None:
        sent.append(handlers.Snapshot(terms, f"event:{len(sent)}"))

    def commission(intervention_id: str = "iv-1") -> None:
        version = len(prices) if intervention_id == "iv-1" else 1
        send(
            intervention(
                intervention_id,
                pricing_model=model,
                prices=tuple(prices),
                end=date(2025, 4, 20),
                version=version,
            )
        )

    commission()
    commission("iv-2")
    children: dict[int, Any] = {}
    for op in ops:
        if isinstance(op, Amend):
            prices.append((op.effective_from, op.price))
            commission()
        elif isinstance(op, Enrol) and op.child not in children:
            children[op.child] = enrolment(
                f"en-{op.child}",
                intervention_id=f"iv-{op.child % 2 + 1}",
                child_ref=f"C{op.child:03d}",
                start=op.start,
            )
            send(children[op.child])
        elif isinstance(op, End) and op.child in children:
            children[op.child] = ended(children[op.child], op.end)
            send(children[op.child])
        elif isinstance(op, Redeliver):
            sent.append(sent[op.index % len(sent)])
    return sent


def chain_totals(ledger: Ledger) -> dict[str, dict[tuple[Any, ...], int]]:
    """What each chain adds up to, without the chains whose links cancel out."""
    links: dict[str, list[Any]] = {}
    for txn in ledger.transactions.all():
        original = txn.reverses or txn.transaction_id
        links.setdefault(original.rsplit(":", 1)[0], []).extend(txn.lines)
    return {chain: net(lines) for chain, lines in links.items() if net(lines)}


@settings(max_examples=50, deadline=None)
@given(
    model=st.sampled_from(["per_child_week", "per_child_day", "block_per_month"]),
    ops=changes,
    cuts=st.lists(st.integers(1, 6), min_size=1, max_size=8),
)
def test_events_applied_in_batches_end_where_one_at_a_time_does(
    model: str, ops: list[Any], cuts: list[int]
) -> None:
    """The consumer applies each poll's events together; however the polls fall, the ledger must
    end with the commitment and accruals it reaches applying the same events one by one."""
    events = snapshots_of(model, ops)
    one_by_one, batched = (fake_ledger(clock=lambda: FIXED_NOW) for _ in range(2))
    for ledger in (one_by_one, batched):
        handlers.run_accruals(RunAccruals(MONTHS[0], month_end(MONTHS[-1]), "run"), ledger=ledger)
    for event in events:
        handlers.record_commissioning([event], ledger=one_by_one)
    start = 0
    while start < len(events):
        size = cuts[start % len(cuts)]
        handlers.record_commissioning(events[start : start + size], ledger=batched)
        start += size
    check(batched)
    assert chain_totals(batched) == chain_totals(one_by_one)
