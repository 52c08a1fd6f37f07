"""Payload schemas of every event type, validated on both sides of the bus.

A producer validates strictly (an unknown field is a bug in the producer). A consumer validates
leniently: within one `dataschemaversion` payloads only grow, so a consumer ignores fields added
after it was written, but a version it does not know is refused and goes to the dead-letter topic.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

from shared import fastload


class PayloadPart(Schema):
    """Base for objects nested in a payload. They ignore unknown fields on both sides, so a
    consumer keeps working when a producer adds a field within the same version."""

    class Meta:
        unknown = EXCLUDE


_SCHEMAS: dict[tuple[str, int], type[Schema]] = {}


class PayloadError(ValueError):
    """An event payload that does not match its registered schema, or has no schema."""


def register(type_: str, version: int = 1) -> Callable[[type[Schema]], type[Schema]]:
    """Class decorator: `schema_cls` describes `data` of events of `type_` at `version`."""

    def decorate(schema_cls: type[Schema]) -> type[Schema]:
        key = (type_, version)
        if key in _SCHEMAS and _SCHEMAS[key] is not schema_cls:
            raise ValueError(f"{type_} v{version} already has a schema")
        _SCHEMAS[key] = schema_cls
        return schema_cls

    return decorate


def known_event_types() -> list[tuple[str, int]]:
    return sorted(_SCHEMAS)


def schema_for(type_: str, version: int) -> type[Schema]:
    try:
        return _SCHEMAS[(type_, version)]
    except KeyError:
        raise PayloadError(f"no schema for event type {type_} version {version}") from None


@cache
def _validator(type_: str, version: int, strict: bool) -> Schema:
    # One instance per type, version and side, reused: building a Schema copies its declared
    # fields and cost more than the validation itself (measured ~60 of ~110 µs an event).
    # Loading does not change the instance, so threads may share it.
    return schema_for(type_, version)(unknown=RAISE if strict else EXCLUDE)


def validate_payload(type_: str, version: int, data: dict[str, Any], *, strict: bool) -> None:
    """Raise PayloadError naming each bad field; strict refuses fields the schema doesn't know."""
    try:
        fastload.load(_validator(type_, version, strict), data)
    except ValidationError as error:
        raise PayloadError(f"{type_} v{version} payload is invalid: {error.messages}") from error
