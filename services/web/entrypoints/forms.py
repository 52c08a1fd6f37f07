"""The GOV.UK error-summary pattern: errors by field, shown above the form and beside each field.

API refusals name the API's fields; forms use those same names for their inputs, so an
`ApiError`'s `errors` land beside the input that caused them with no mapping to keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.web.adapters.api import ApiError
from services.web.domain.tables import iso_date


@dataclass
class FormErrors:
    by_field: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # date inputs: the summary links to the day box
    dates: set[str] = field(default_factory=set)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def add_api_error(self, error: ApiError, *, known_fields: set[str]) -> None:
        placed = False
        for problem in error.errors:
            name = problem.get("field", "")
            reason = problem.get("reason", "is not valid")
            if name in known_fields:
                self.add(name, _sentence(name, reason))
                placed = True
        if not placed:
            self.general.append(error.detail)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)

    def message(self, name: str) -> dict[str, str] | None:
        """For a govuk macro's `errorMessage`."""
        return {"text": self.by_field[name]} if name in self.by_field else None

    def summary(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [{"text": text} for text in self.general]
        items += [
            {"text": text, "href": f"#{name}-day" if name in self.dates else f"#{name}"}
            for name, text in self.by_field.items()
        ]
        return items


def _sentence(name: str, reason: str) -> str:
    label = name.removesuffix("_pence").removesuffix("_pounds").replace("_", " ")
    text = f"{label[:1].upper()}{label[1:]} {reason}".rstrip(".")
    return text


def require(form: dict[str, str], errors: FormErrors, messages: dict[str, str]) -> None:
    """Each named field must be filled in; `messages` says what to ask for."""
    for name, message in messages.items():
        if not form.get(name, "").strip():
            errors.add(name, message)


def date_field(form: dict[str, str], name: str, errors: FormErrors) -> str | None:
    """The ISO date from a GOV.UK date input named `name` (`name-day`, `-month`, `-year`)."""
    errors.dates.add(name)
    try:
        return iso_date(
            form.get(f"{name}-day", ""), form.get(f"{name}-month", ""), form.get(f"{name}-year", "")
        )
    except ValueError as error:
        errors.add(name, str(error))
        return None
