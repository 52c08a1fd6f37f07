"""The web service's time-limited memo."""

from __future__ import annotations

from services.web.adapters.cache import TtlCache


def test_an_answer_is_reused_until_it_expires() -> None:
    now = [100.0]
    cache = TtlCache[int](seconds=60, clock=lambda: now[0])
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert cache.get("years", compute) == 1
    now[0] += 59
    assert cache.get("years", compute) == 1
    now[0] += 2
    assert cache.get("years", compute) == 2
    assert cache.get("other", compute) == 3
