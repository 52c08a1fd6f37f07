"""marshmallow fields for the values every service shares: pence, child references, codes."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from shared.money import MoneyError, parse_pence

CHILD_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$"
INDICATOR_CODE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"


def ChildRef(**kwargs: Any) -> fields.String:
    """A pseudonymous child reference: 3-64 letters, digits, '-' or '_'. Never a name."""
    return fields.String(
        validate=validate.Regexp(
            CHILD_REF_PATTERN,
            error="must be a pseudonymous reference of 3-64 letters, digits, '-' or '_'",
        ),
        **kwargs,
    )


def IndicatorCode(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(
            INDICATOR_CODE_PATTERN,
            error="must be 2-40 lower-case letters, digits or '_', starting with a letter",
        ),
        **kwargs,
    )


def EntityId(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(ID_PATTERN, error="is not a valid identifier"), **kwargs
    )


class Pence(fields.Field):
    """Whole pence. In events: an integer. At the API edge (`accept_pounds=True`) also pounds as a
    decimal string with at most two places. Floats and booleans are always refused."""

    def __init__(
        self, *, accept_pounds: bool = False, allow_negative: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.accept_pounds = accept_pounds
        self.allow_negative = allow_negative

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not self.accept_pounds:
            raise ValidationError("must be whole pence as an integer")
        try:
            pence = parse_pence(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from error
        if pence < 0 and not self.allow_negative:
            raise ValidationError("must not be negative")
        return pence

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | None:
        return None if value is None else int(value)
