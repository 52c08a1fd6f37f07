"""marshmallow fields for the values every service shares: pence, child references, codes,
text, days and counts, each with the limits that keep every accepted write small enough to travel
as one event (see docs/operations.md, "Limits at the API edge").

Patterns are published in the OpenAPI document as `^...$` and checked with `re.fullmatch`, so a
trailing newline never slips past a `$`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.money import MoneyError, parse_pence

# The days Acorn accepts anywhere: service periods, enrolments, observations, report periods.
FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2099, 12, 31)
# One amount of money: £10bn in pence. A thousand of them still sum well inside 64 bits.
MAX_PENCE = 10**12
DEFAULT_TEXT_LENGTH = 200
# C0 and C1 control characters (NUL among them) have no place in a name, a title or a reason.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

CHILD_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$"
INDICATOR_CODE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"


class FullMatch(validate.Regexp):
    """`validate.Regexp` that must match the whole value (`$` alone lets "ref\\n" through)."""

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("must not contain control characters (NUL, newlines, tabs, ...)")


def Text(*, max_length: int = DEFAULT_TEXT_LENGTH, **kwargs: Any) -> fields.String:
    """A name, title or reason: 1 to `max_length` characters, no control characters."""
    return fields.String(
        validate=[validate.Length(min=1, max=max_length), no_control_characters], **kwargs
    )


def Day(**kwargs: Any) -> fields.Date:
    """An ISO date between FIRST_DAY and LAST_DAY (both included)."""
    return fields.Date(
        validate=validate.Range(
            min=FIRST_DAY,
            max=LAST_DAY,
            error=f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}",
        ),
        **kwargs,
    )


def Count(*, minimum: int = 0, maximum: int, **kwargs: Any) -> fields.Integer:
    """A whole number (JSON integer, not a string or float) between `minimum` and `maximum`."""
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)


# A reference made only of words of letters ("Jane-Smith") or holding a date ("c-2014-03-02") is
# a name or a date of birth typed where the council's pseudonymous reference belongs. Single
# letters between separators ("C-A") are initials of nothing in particular and pass.
_NAME_LIKE = re.compile(r"[A-Za-z]{2,}(?:[-_][A-Za-z]{2,})*")
_DAY, _MONTH, _YEAR = r"(?:0[1-9]|[12][0-9]|3[01])", r"(?:0[1-9]|1[0-2])", r"(?:19|20)[0-9]{2}"
_DATE_INSIDE = re.compile(
    rf"{_YEAR}[-_]{_MONTH}[-_]{_DAY}|{_DAY}[-_]{_MONTH}[-_]{_YEAR}|{_MONTH}[-_]{_DAY}[-_]{_YEAR}"
)
NOT_PSEUDONYMOUS = (
    "looks like a name or a date of birth; use the council's pseudonymous reference for the child"
)


def pseudonymous(value: str) -> None:
    if _NAME_LIKE.fullmatch(value) or _DATE_INSIDE.search(value):
        raise ValidationError(NOT_PSEUDONYMOUS)


def ChildRef(*, refuse_name_like: bool = True, **kwargs: Any) -> fields.String:
    """A pseudonymous child reference: 3-64 letters, digits, '-' or '_'. Never a name.

    Event schemas pass `refuse_name_like=False`: an event carries a reference its service
    accepted, perhaps before the name check existed, and must never become poison for it."""
    shape = FullMatch(
        CHILD_REF_PATTERN,
        error="must be a pseudonymous reference of 3-64 letters, digits, '-' or '_'",
    )
    return fields.String(validate=[shape, pseudonymous] if refuse_name_like else [shape], **kwargs)


def IndicatorCode(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=FullMatch(
            INDICATOR_CODE_PATTERN,
            error="must be 2-40 lower-case letters, digits or '_', starting with a letter",
        ),
        **kwargs,
    )


def EntityId(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=FullMatch(ID_PATTERN, error="is not a valid identifier"), **kwargs
    )


POUNDS_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$"


class Money(fields.Field):
    """Whole pence, refused beyond ±MAX_PENCE and (unless `allow_negative`) below zero."""

    def __init__(self, *, allow_negative: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_negative = allow_negative

    def _checked(self, pence: int) -> int:
        if pence < 0 and not self.allow_negative:
            raise ValidationError("must not be negative")
        if abs(pence) > MAX_PENCE:
            raise ValidationError(f"must be at most {MAX_PENCE} pence (£10bn) in size")
        return pence

    def _parsed(self, value: Any) -> int:
        try:
            pence = parse_pence(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from error
        return self._checked(pence)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | None:
        return None if value is None else int(value)


class Pence(Money):
    """Whole pence, as a JSON integer: every field named `*_pence`, in requests and events.

    A string is refused even when it holds digits: `"budget_pence": "10000"` is ambiguous (pence,
    or pounds?), and reading it as pounds made £10,000 of what was meant as £100. Pounds come in
    their own `*_pounds` field (`Pounds`). `PenceOrPounds` is for the few money fields whose
    names carry no unit. Floats and booleans are always refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError(
                "must be whole pence as a JSON integer (pounds go in the *_pounds field)"
            )
        return self._checked(value)


class Pounds(Money):
    """Pounds as a decimal string with at most two places ("1200.50"), loaded as whole pence:
    every field named `*_pounds`. A JSON number is refused (a float has lost pennies already)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str):
            raise ValidationError(
                'must be pounds as a decimal string with at most two places, such as "1200.50"'
            )
        return self._parsed(value)


class PenceOrPounds(Money):
    """A money field whose name carries no unit (the ledger's `amount`, `unit_price`): whole
    pence as a JSON integer, or pounds as a decimal string."""

    def __init__(self, **kwargs: Any) -> None:
        either = {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": POUNDS_PATTERN}]}
        kwargs["metadata"] = {**either, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        return self._parsed(value)


class AmountsInPenceOrPounds(Schema):
    """A request schema taking each amount in `AMOUNTS` as `<amount>_pence` (whole pence) or
    `<amount>_pounds` (a decimal string), never both; either way it loads as `<amount>_pence`.
    Declare both fields with `amount_fields`; `REQUIRED_AMOUNTS` names those that must come."""

    AMOUNTS: tuple[str, ...] = ()
    REQUIRED_AMOUNTS: tuple[str, ...] = ()

    @validates_schema
    def one_unit_per_amount(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        for amount in self.AMOUNTS:
            pence, pounds = f"{amount}_pence", f"{amount}_pounds"
            if pence in data and pounds in data:
                errors[pounds] = [f"give {pence} or {pounds}, not both"]
            if amount in self.REQUIRED_AMOUNTS and pence not in data and pounds not in data:
                errors[pence] = [f"is required (whole pence), or give {pounds} (pounds)"]
        if errors:
            raise ValidationError(errors)

    @post_load
    def in_pence(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        for amount in self.AMOUNTS:
            if f"{amount}_pounds" in data:
                data[f"{amount}_pence"] = data.pop(f"{amount}_pounds")
        return data


def amount_fields(description: str, **kwargs: Any) -> tuple[Pence, Pounds]:
    """The `<amount>_pence` and `<amount>_pounds` fields of an `AmountsInPenceOrPounds` schema."""
    return (
        Pence(metadata={"description": f"{description}, in whole pence"}, **kwargs),
        Pounds(
            metadata={
                "description": f"{description}, in pounds (instead of pence)",
                "pattern": POUNDS_PATTERN,
            },
            **kwargs,
        ),
    )
