"""Month-end close: once finance closes a month, nothing is posted with an accounting date in it.

Closing and reopening are facts, never edits: the n-th action on a month is stored under
`<YYYY-MM>:<n>`, so two officers acting on one month at once cannot both win (the second insert
is refused and asked to look again). A month is closed when its latest action closed it.

A transaction's service period may still point back into a closed month; only its accounting
date must be in an open one. Postings the ledger makes itself (accruals and commitments brought
up to date by a commissioning event or an accrual run) move to the first open day instead of
being refused, so a late amendment is accounted for in the month it became known.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.ledger.domain.calendar import ONE_DAY, month_end, month_key
from services.ledger.domain.model import Conflict, RuleBroken

ACTIONS = ("close", "reopen")


@dataclass(frozen=True)
class MonthAction:
    month: str  # YYYY-MM
    sequence: int
    action: str
    by: str
    at: datetime
    reason: str | None = None

    @property
    def action_id(self) -> str:
        return f"{self.month}:{self.sequence}"


class MonthClosed(Conflict):
    """A posting dated in a closed month."""


def parse_month(text: str) -> date:
    """The first day of a 'YYYY-MM' month."""
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise RuleBroken("month", f"{text!r} is not a month written YYYY-MM") from None
    if month_key(first) != text:
        raise RuleBroken("month", f"{text!r} is not a month written YYYY-MM")
    return first


def closed_months(actions: Iterable[MonthAction], moment: datetime | None = None) -> set[str]:
    """The months whose latest action (recorded by `moment`, if given) closed them."""
    latest: dict[str, MonthAction] = {}
    for action in actions:
        if moment is not None and action.at > moment:
            continue
        kept = latest.get(action.month)
        if kept is None or kept.sequence < action.sequence:
            latest[action.month] = action
    return {month for month, action in latest.items() if action.action == "close"}


def next_action(
    month: str,
    action: str,
    history: Iterable[MonthAction],
    *,
    by: str,
    at: datetime,
    reason: str | None,
) -> MonthAction:
    """The action to record next on `month`; refuses closing a closed month or reopening an
    open one, so the history reads as alternating closes and reopens."""
    parse_month(month)
    if action not in ACTIONS:
        raise RuleBroken("action", f"must be one of {', '.join(ACTIONS)}")
    mine = [a for a in history if a.month == month]
    closed = month in closed_months(mine)
    if action == "close" and closed:
        raise Conflict("month", f"{month} is already closed")
    if action == "reopen" and not closed:
        raise Conflict("month", f"{month} is not closed")
    sequence = max((a.sequence for a in mine), default=0) + 1
    return MonthAction(month, sequence, action, by, at, reason)


def check_open(accounting_date: date, closed: Collection[str]) -> None:
    """Refuse an accounting date in a closed month, naming the month and what to do instead."""
    month = month_key(accounting_date)
    if month in closed:
        raise MonthClosed(
            "accounting_date",
            f"{month} is closed: date the transaction in an open month "
            "(its service period may still point back)",
        )


def first_open_day(day: date, closed: Collection[str]) -> date:
    """`day` if its month is open, else the first day of the next open month after it."""
    while month_key(day) in closed:
        day = month_end(day) + ONE_DAY
    return day
