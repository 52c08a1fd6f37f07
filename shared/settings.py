"""Settings from environment variables, validated once at start.

Each service describes the variables it needs with `Setting`s; `load_settings` reads them all and
raises `SettingsError` naming every bad or missing one, so a misconfigured process stops at once
with a message an operator can act on instead of failing later on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SettingsError(Exception):
    """One or more environment variables are missing or invalid."""


def non_empty(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def parse_non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected zero or a positive whole number")
    return value


def parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return raw

    return parse


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, how to parse it, and its default (None: required)."""

    env: str
    parse: Callable[[str], Any] = non_empty
    default: str | None = None
    secret: bool = False

    def read(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.env, self.default)
        if raw is None:
            raise SettingsError(f"{self.env} is required but not set")
        try:
            return self.parse(raw)
        except (ValueError, TypeError) as error:
            if self.secret:  # the parser's message may quote the value itself
                raise SettingsError(f"{self.env} is invalid (value hidden)") from None
            raise SettingsError(f"{self.env}={raw!r} is invalid: {error}") from error


def load_settings(
    spec: Mapping[str, Setting], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Read every setting in `spec` (attribute name -> Setting); report all problems at once."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, setting in spec.items():
        try:
            values[name] = setting.read(environ)
        except SettingsError as error:
            problems.append(str(error))
    if problems:
        raise SettingsError("; ".join(problems))
    return values
