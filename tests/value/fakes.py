"""A read model in memory, for use-case tests without a database."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from services.value.domain.model import Facts
from services.value.domain.queries import Source, source_of

T = TypeVar("T")


@dataclass
class FakeReadModel:
    by_basis: dict[str, Facts]
    kinds: dict[str, str] = field(default_factory=dict)

    def facts(self, basis: str) -> Facts:
        facts = self.by_basis.get(basis) or next(iter(self.by_basis.values()))
        return facts if basis in self.by_basis else replace(facts, lines=[])

    def source(self, basis: str) -> Source:
        return source_of(self.facts(basis))

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        ids = sorted({line.transaction_id for line in self.facts(basis).lines})
        return [{"_id": t, "kind": self.kinds.get(t, "invoice"), "basis": basis} for t in ids]

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        return compute()  # the facts may be changed in place between calls: never reuse
