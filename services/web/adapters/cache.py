"""A small time-limited memo for answers every official shares (the years a council spans), so a
page does not ask the commissioning API for every intervention each time it is drawn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class TtlCache(Generic[Value]):
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._held: dict[str, tuple[float, Value]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], Value]) -> Value:
        now = self.clock()
        with self._lock:
            held = self._held.get(key)
        if held is not None and held[0] > now:
            return held[1]
        value = compute()  # outside the lock: a slow API call holds up no other page
        with self._lock:
            self._held[key] = (now + self.seconds, value)
        return value
