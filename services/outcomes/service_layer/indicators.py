"""Use cases of the outcome framework: list, add, version and retire indicators."""

from __future__ import annotations

from typing import NoReturn

from services.outcomes.adapters.indicators import IndicatorExists
from services.outcomes.domain.indicators import (
    Guardrail,
    Indicator,
    IndicatorRuleError,
    check_definition,
    new_version,
    retire,
)
from services.outcomes.service_layer import events
from services.outcomes.service_layer.commands import AddIndicator, RetireIndicator, VersionIndicator
from services.outcomes.service_layer.context import Outcomes
from services.outcomes.service_layer.errors import Conflict, Invalid, NotFound, Stale
from shared.events.catalogue.outcomes import INDICATOR_RETIRED, INDICATOR_VERSIONED


def guardrail(ctx: Outcomes) -> Guardrail:
    active = sum(1 for indicator in ctx.indicators.list() if indicator.is_active)
    return Guardrail(active=active, limit=ctx.guardrail)


def list_indicators(ctx: Outcomes, *, status: str | None = None) -> list[Indicator]:
    return [i for i in ctx.indicators.list() if status is None or i.status == status]


def get_indicator(code: str, *, ctx: Outcomes) -> tuple[Indicator, list[Indicator]]:
    """The indicator and its earlier versions, oldest first."""
    indicator = ctx.indicators.get(code)
    if indicator is None:
        raise NotFound(f"no indicator {code}")
    return indicator, ctx.indicators.history(code)


def add_indicator(command: AddIndicator, *, ctx: Outcomes) -> Indicator:
    indicator = command.indicator
    try:
        check_definition(indicator)
    except IndicatorRuleError as error:
        raise Invalid({error.field: error.reason}) from error
    try:
        ctx.indicators.add(indicator)
    except IndicatorExists:
        raise Conflict(f"indicator {indicator.code} exists; version it instead") from None
    ctx.audit.record(command.actor, "indicator.add", indicator.code)
    return indicator


def version_indicator(command: VersionIndicator, *, ctx: Outcomes) -> Indicator:
    current = _current(command.code, command.expected_version, ctx)
    try:
        updated = new_version(current, command.definition)
    except IndicatorRuleError as error:
        _refuse(error)
    _store(current, updated, INDICATOR_VERSIONED, ctx)
    ctx.audit.record(command.actor, "indicator.version", current.code)
    return updated


def retire_indicator(command: RetireIndicator, *, ctx: Outcomes) -> Indicator:
    current = _current(command.code, command.expected_version, ctx)
    try:
        retired = retire(current)
    except IndicatorRuleError as error:
        _refuse(error)
    _store(current, retired, INDICATOR_RETIRED, ctx)
    ctx.audit.record(command.actor, "indicator.retire", current.code)
    return retired


def _current(code: str, expected_version: int, ctx: Outcomes) -> Indicator:
    current = ctx.indicators.get(code)
    if current is None:
        raise NotFound(f"no indicator {code}")
    if current.version != expected_version:
        raise Stale(current.version)
    return current


def _refuse(error: IndicatorRuleError) -> NoReturn:
    if error.field == "status":
        raise Conflict(error.reason) from error
    raise Invalid({error.field: error.reason}) from error


def _store(current: Indicator, updated: Indicator, type_: str, ctx: Outcomes) -> None:
    if not ctx.indicators.replace(current, updated, events.indicator_event(type_, updated)):
        latest = ctx.indicators.get(current.code)
        raise Stale(latest.version if latest else current.version)
