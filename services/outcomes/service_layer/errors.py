"""What a use case can refuse with; the API maps each to one HTTP status in one place."""

from __future__ import annotations

# One message whether the child is unknown, belongs to another provider or the enrolment ended:
# a refusal must reveal nothing about whether a child exists.
NOT_HELD = "your organisation may not post or read outcomes for this child on that date"


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


class Conflict(Exception):
    pass


class Invalid(Exception):
    """Field -> reason for each problem."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems.items()))
        self.problems = problems


class Stale(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"now version {current_version}")
        self.current_version = current_version
