"""The council's rate table: what each placement type costs, from each provider or any.

A small CSV the council writes (see the README, "Bring your council's data"):

    PLACE,PLACE_PROVIDER,pricing_model,unit_price
    U4,PR1,per_child_week,450.00
    U4,,per_child_week,850.00
    K2,PR4,per_child_day,750.00

`PLACE` and `PLACE_PROVIDER` are the return's codes; a blank provider is the price of that
placement type from any provider without a row of its own. `pricing_model` is `per_child_week` or
`per_child_day`; `unit_price` is pounds with at most two decimal places.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from services.imports.domain.refusals import Refusal
from services.imports.domain.ssda903_codes import PLACEMENTS, PROVIDERS
from shared.money import MoneyError, parse_pence

COLUMNS = ("PLACE", "PLACE_PROVIDER", "pricing_model", "unit_price")
PRICING_MODELS = ("per_child_week", "per_child_day")
ANY_PROVIDER = ""


@dataclass(frozen=True)
class Rate:
    pricing_model: str
    unit_price_pence: int


@dataclass
class RateTable:
    rates: dict[tuple[str, str], Rate] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)

    def rate_for(self, placement: str, provider: str) -> Rate | None:
        return self.rates.get((placement, provider)) or self.rates.get((placement, ANY_PROVIDER))


def read_rates(path: Path) -> RateTable:
    table = RateTable()
    name = path.name
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            table.refusals.append(Refusal(name, 1, missing[0], "is a missing column"))
            return table
        for row in reader:
            line = reader.line_num
            cells = {c: (row.get(c) or "").strip() for c in COLUMNS}
            problems = []
            if cells["PLACE"] not in PLACEMENTS:
                problems.append(("PLACE", "is not a placement type of the SSDA903 guide"))
            if cells["PLACE_PROVIDER"] and cells["PLACE_PROVIDER"] not in PROVIDERS:
                problems.append(("PLACE_PROVIDER", "is not a placement provider code"))
            if cells["pricing_model"] not in PRICING_MODELS:
                problems.append(("pricing_model", f"must be one of {', '.join(PRICING_MODELS)}"))
            try:
                pence = parse_pence(cells["unit_price"])
            except MoneyError:
                problems.append(("unit_price", "is not pounds with at most two decimal places"))
                pence = 0
            key = (cells["PLACE"], cells["PLACE_PROVIDER"])
            if key in table.rates:
                problems.append(
                    ("PLACE", "repeats a placement type and provider of an earlier row")
                )
            if problems:
                table.refusals.extend(Refusal(name, line, c, why) for c, why in problems)
                continue
            table.rates[key] = Rate(cells["pricing_model"], pence)
    return table
