"""Placements as Acorn sees them: a provider per placement provider, an intervention per
placement type and provider, and its category."""

from __future__ import annotations

from services.imports.domain.ssda903_codes import FOSTERING, PLACEMENTS, PROVIDERS


def category_of(placement: str, provider: str) -> str:
    """Foster placements are in-house fostering with the council's own carers, independent
    otherwise; every other placement type has one category."""
    category = PLACEMENTS[placement][1]
    if category != FOSTERING:
        return category
    return "in_house_fostering" if PROVIDERS[provider].in_house else "independent_fostering"


def title_of(placement: str, provider: str) -> str:
    """The intervention's title: the placement in words and who provides it."""
    return f"{PLACEMENTS[placement][0]} ({PROVIDERS[provider].name})"
