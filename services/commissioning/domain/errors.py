"""Why a change is refused. The HTTP layer maps each kind to one status, in one place."""

from __future__ import annotations


class Refused(Exception):
    """A change the rules do not allow; `field` names the input at fault, when there is one."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Invalid(Refused):
    """The request contradicts itself or the record's fixed facts (dates, codes): 422."""


class Conflict(Refused):
    """The request is well formed but the record's current state refuses it: 409."""


class NotFound(Refused):
    """No such record, or none the caller may see: 404."""


class StaleVersion(Refused):
    """The caller's If-Match names a version that is no longer current: 412."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the record has changed (now version {current_version})")
        self.current_version = current_version
