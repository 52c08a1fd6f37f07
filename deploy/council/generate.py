"""A seeded synthetic English county's children's services, at the level of the public APIs.

`Council(preset, seed)` plans providers, interventions (with April price uplifts), children (need
scores, enrolments) in memory, which is small; observations and ledger items are *streamed*
(`observations()`, `ledger()`) from per-child and per-intervention random streams, so the largest
preset never holds its two million observations at once. Same preset and seed, same data: every
random stream is seeded from the seed, the preset and the item it belongs to.

`ground_truth()` gives the known truth: each intervention's true effects by need level, its true
spend, the outcomes it truly caused and the true cost per better-off outcome (see the README's
Methodology section).
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from deploy.council.catalogue import (
    CATEGORIES,
    NEED_LEVELS,
    NEED_MULTIPLIER,
    NEED_SEVERITY,
    PATHWAYS,
    TITLES,
    TRAJECTORIES,
    Trajectory,
)
from services.outcomes.domain.framework import DEFAULT_FRAMEWORK
from services.outcomes.domain.needs import need_level
from shared.events.catalogue.outcomes import NEED_DOMAINS

BASELINE_WINDOW_DAYS = 180  # the value service's default look-back for a baseline
RAMP_DAYS = 90  # an intervention reaches its full effect after this many days
CADENCE_DAYS = 30  # providers report monthly
THRESHOLDS = {i.code: i.improvement_threshold for i in DEFAULT_FRAMEWORK}
PLACES = (
    "Ashdown", "Brackenfield", "Cresswell", "Dunmore", "Elmstead", "Fernhill", "Greywater",
    "Hollins", "Ivybridge", "Kingsmead", "Larkrise", "Millbrook", "Northcote", "Oakridge",
    "Pennyworth", "Quarrydale", "Rowanbank", "Stonebridge", "Thornbury", "Willowmere",
)  # fmt: skip
KIND_NAMES = {"in_house": "County Council Children's Services", "independent": "Care Ltd",
              "voluntary": "Family Trust"}  # fmt: skip
CATEGORY_SHARE = {"in_house_fostering": 1, "independent_fostering": 3, "residential_care": 3,
                  "family_support": 2, "early_help": 1, "send_support": 2, "therapeutic": 2,
                  "education_support": 1}  # fmt: skip
PATHWAY_SHARE = {"looked_after": 1, "send": 1, "early_help": 1}


@dataclass(frozen=True)
class Preset:
    name: str
    children: int
    providers: int
    interventions: int
    years: int
    categories: tuple[str, ...] = ()  # fixed categories (tiny); otherwise shared by CATEGORY_SHARE


PRESETS = {
    p.name: p
    for p in (
        Preset("tiny", 20, 2, 4, 1,
               ("independent_fostering", "family_support", "therapeutic", "early_help")),
        Preset("demo", 150, 10, 20, 2),
        Preset("default", 3_000, 150, 400, 5),
        Preset("largest", 60_000, 1_500, 1_800, 5),
    )
}  # fmt: skip
DEFAULT_SEED = 2025
LAST_DAY = date(2025, 3, 31)  # the generated period ends with financial year 2024-25


@dataclass
class ProviderPlan:
    key: str
    name: str
    kind: str
    ofsted_urn: str | None


@dataclass
class InterventionPlan:
    key: str
    provider: str
    category: str
    title: str
    pricing_model: str
    prices: list[tuple[date, int]]  # (effective from, unit price pence); first at the start
    quality: float  # scales the category's true effect for this provider's service
    capacity: int = 1
    enrolments: list[EnrolmentPlan] = field(default_factory=list)

    def price_on(self, day: date) -> int:
        return [price for since, price in self.prices if since <= day][-1]

    def effect(self, indicator: str, need: str) -> float:
        base = CATEGORIES[self.category].effects.get(indicator, 0.0)
        return round(base * NEED_MULTIPLIER[need] * self.quality, 3)

    @property
    def targets(self) -> list[str]:
        return list(CATEGORIES[self.category].effects)


@dataclass
class EnrolmentPlan:
    key: str
    child: str
    intervention: str
    start: date
    end: date | None  # None: still enrolled when the period ends

    def last(self, period_end: date) -> date:
        return self.end or period_end

    def ramp(self, day: date, period_end: date) -> float:
        if day < self.start:
            return 0.0
        return min((min(day, self.last(period_end)) - self.start).days / RAMP_DAYS, 1.0)


@dataclass
class ChildPlan:
    ref: str
    index: int
    pathway: str
    scores: dict[str, int]
    need: str
    enrolments: list[EnrolmentPlan]
    assessed_on: date


@dataclass(frozen=True)
class Observation:
    child: str
    indicator: str
    day: date
    value: int
    enrolment: EnrolmentPlan
    without: dict[str, int]  # intervention key -> the value had that intervention done nothing


class Council:
    def __init__(self, preset: str, seed: int) -> None:
        self.preset = PRESETS[preset]
        self.seed = seed
        self.end = LAST_DAY
        self.start = date(LAST_DAY.year - self.preset.years, 4, 1)
        self.providers: list[ProviderPlan] = []
        self.interventions: dict[str, InterventionPlan] = {}
        self.children: list[ChildPlan] = []
        self._plan_market()
        self._plan_children()
        self._set_capacities()

    def rng(self, *item: object) -> random.Random:
        return random.Random(":".join(map(str, (self.preset.name, self.seed, *item))))

    @property
    def tag(self) -> str:
        return f"{self.preset.name}-{self.seed}"

    # -- the market ------------------------------------------------------------------------

    def _categories(self) -> list[str]:
        if self.preset.categories:
            return list(self.preset.categories)
        total = sum(CATEGORY_SHARE.values())
        n = self.preset.interventions
        counts = {c: max(1, n * share // total) for c, share in CATEGORY_SHARE.items()}
        ordered = sorted(CATEGORY_SHARE, key=lambda c: -CATEGORY_SHARE[c])
        i = 0
        while sum(counts.values()) < n:
            counts[ordered[i % len(ordered)]] += 1
            i += 1
        while sum(counts.values()) > n:
            biggest = max(counts, key=lambda c: counts[c])
            counts[biggest] -= 1
        return [c for c in CATEGORY_SHARE for _ in range(counts[c])]

    def _plan_market(self) -> None:
        categories = self._categories()
        n_providers = self.preset.providers
        for p in range(n_providers):
            first = categories[p * len(categories) // n_providers]
            kind = CATEGORIES[first].provider_kind
            rng = self.rng("provider", p)
            place = PLACES[p % len(PLACES)] + (
                f" {p // len(PLACES) + 1}" if p >= len(PLACES) else ""
            )
            self.providers.append(
                ProviderPlan(
                    key=f"P{p:04d}",
                    name=f"{place} {KIND_NAMES[kind]}",
                    kind=kind,
                    ofsted_urn=None if kind == "voluntary" else f"SC{rng.randint(100000, 999999)}",
                )
            )
        for k, category in enumerate(categories):
            rng = self.rng("intervention", k)
            terms = CATEGORIES[category]
            price = rng.randint(terms.price_low // 100, terms.price_high // 100) * 100
            prices = [(self.start, price)]
            for year in range(1, self.preset.years):
                uplift = rng.randint(2, 6)  # April price uplift, per cent
                price = (price * (100 + uplift) + 50) // 100
                prices.append((date(self.start.year + year, 4, 1), price))
            provider = self.providers[k * n_providers // len(categories)]
            key = f"I{k:04d}"
            self.interventions[key] = InterventionPlan(
                key=key,
                provider=provider.key,
                category=category,
                title=f"{TITLES[category]}: {provider.name}",
                pricing_model=terms.pricing_model,
                prices=prices,
                quality=round(rng.uniform(0.5, 1.5), 2),
            )

    # -- children ----------------------------------------------------------------------------

    def _by_category(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, intervention in self.interventions.items():
            found.setdefault(intervention.category, []).append(key)
        return found

    def _plan_children(self) -> None:
        by_category = self._by_category()
        span = (self.end - self.start).days
        for n in range(self.preset.children):
            rng = self.rng("child", n)
            ref = f"CH-{self.tag}-{n:06d}"
            pathway = rng.choices(list(PATHWAY_SHARE), weights=list(PATHWAY_SHARE.values()))[0]
            two, three = NEED_SEVERITY[pathway]
            scores = {}
            for domain in NEED_DOMAINS:
                r = rng.random()
                scores[domain] = 3 if r < three else 2 if r < three + two else int(r < 0.6)
            mains, add_ons, add_on_chance = PATHWAYS[pathway]
            main = self._pick(rng, mains, by_category)
            start = self.start + timedelta(days=rng.randint(0, span - 60))
            enrolments = [self._enrolment(rng, ref, 0, main, start)]
            if rng.random() < add_on_chance:
                extra = self._pick(rng, add_ons, by_category)
                extra_start = start + timedelta(days=rng.randint(1, 60))
                if extra != main and extra_start <= self.end - timedelta(days=30):
                    enrolments.append(self._enrolment(rng, ref, 1, extra, extra_start))
            for enrolment in enrolments:
                self.interventions[enrolment.intervention].enrolments.append(enrolment)
            self.children.append(
                ChildPlan(ref, n, pathway, scores, need_level(scores), enrolments, start)
            )

    def _pick(
        self, rng: random.Random, weights: dict[str, int], by_category: dict[str, list[str]]
    ) -> str:
        offered = {c: w for c, w in weights.items() if c in by_category}
        if offered:
            category = rng.choices(list(offered), weights=list(offered.values()))[0]
        else:  # a small preset without the category: the nearest thing the council has
            category = rng.choice(sorted(by_category))
        return rng.choice(by_category[category])

    def _enrolment(
        self, rng: random.Random, child: str, n: int, intervention: str, start: date
    ) -> EnrolmentPlan:
        terms = CATEGORIES[self.interventions[intervention].category]
        last = start + timedelta(days=rng.randint(terms.days_low, terms.days_high) - 1)
        return EnrolmentPlan(
            f"{child}-e{n}", child, intervention, start, None if last >= self.end else last
        )

    def _set_capacities(self) -> None:
        """Places: the most children on the intervention at once, with a little room."""
        for intervention in self.interventions.values():
            changes: dict[date, int] = {}
            for e in intervention.enrolments:
                changes[e.start] = changes.get(e.start, 0) + 1
                after = e.last(self.end) + timedelta(days=1)
                changes[after] = changes.get(after, 0) - 1
            peak = running = 0
            for day in sorted(changes):
                running += changes[day]
                peak = max(peak, running)
            intervention.capacity = peak + 2
            if intervention.pricing_model == "block_per_month":
                # a block buys places: the monthly amount is the places at a weekly rate
                intervention.prices = [
                    (since, weekly * intervention.capacity * 52 // 12)
                    for since, weekly in intervention.prices
                ]

    # -- outcomes ------------------------------------------------------------------------------

    def observations(self) -> Iterator[Observation]:
        """Every child's observations, child by child, as the holding providers post them."""
        for child in self.children:
            yield from self.child_observations(child)

    def child_observations(self, child: ChildPlan) -> list[Observation]:
        rng = self.rng("outcomes", child.index)
        step = NEED_LEVELS.index(child.need)
        found: list[Observation] = []
        for code, t in TRAJECTORIES.items():
            base = t.base - t.sign * t.per_need * step + rng.gauss(0, t.spread)
            drift = t.drift * (1 - step)
            on = [e for e in child.enrolments if code in self.interventions[e.intervention].targets]
            seen: set[date] = set()
            for enrolment in on:
                for day in self._schedule(enrolment):
                    noise = rng.gauss(0, t.noise)
                    if day in seen:
                        continue
                    seen.add(day)
                    effects = {
                        e.intervention: self.interventions[e.intervention].effect(code, child.need)
                        * e.ramp(day, self.end)
                        for e in on
                    }
                    natural = base + noise + t.sign * drift * (day - self.start).days / 365.25
                    total = sum(effects.values())
                    found.append(
                        Observation(
                            child.ref,
                            code,
                            day,
                            _reading(t, natural + t.sign * total),
                            enrolment,
                            {
                                k: _reading(t, natural + t.sign * (total - v))
                                for k, v in effects.items()
                            },
                        )
                    )
        return found

    def _schedule(self, enrolment: EnrolmentPlan) -> list[date]:
        """Intake on the first day, then monthly, and an exit reading on the last day."""
        last = enrolment.last(self.end)
        days = []
        day = enrolment.start
        while day <= last:
            days.append(day)
            day += timedelta(days=CADENCE_DAYS)
        if (last - days[-1]).days >= 7:
            days.append(last)
        return days

    # -- money ----------------------------------------------------------------------------------

    def months(self) -> list[tuple[date, date]]:
        found = []
        day = self.start
        while day <= self.end:
            last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
            found.append((day, last))
            day = last + timedelta(days=1)
        return found

    def invoice_lines(
        self, intervention: InterventionPlan, first: date, last: date
    ) -> list[dict[str, Any]]:
        price = intervention.price_on(first)
        period = {"service_period_start": first.isoformat(), "service_period_end": last.isoformat()}
        if intervention.pricing_model == "block_per_month":
            return [{"child_ref": None, **period, "amount": price}]
        sessions = CATEGORIES[intervention.category].sessions_a_week
        lines = []
        for e in intervention.enrolments:
            start, end = max(e.start, first), min(e.last(self.end), last)
            days = (end - start).days + 1
            if days <= 0:
                continue
            if intervention.pricing_model == "per_session":
                amount = price * ((days * sessions * 2 + 7) // 14)
            else:
                amount = (price * days * 2 + 7) // 14
            if amount:
                lines.append(
                    {
                        "child_ref": e.child,
                        "service_period_start": start.isoformat(),
                        "service_period_end": end.isoformat(),
                        "amount": amount,
                    }
                )
        return lines

    def ledger(self) -> Iterator[dict[str, Any]]:
        """Monthly invoices (some late, some wrong then reversed and reissued) and payments.

        Each item: `key` (stable), `intervention` (plan key), `kind` (invoice, reversal or
        payment), `body` (the request without `intervention_id`), `reverses` (a key), `correct`
        (whether it stands in the ledger)."""
        for intervention in self.interventions.values():
            rng = self.rng("ledger", intervention.key)
            provider = intervention.provider
            for first, last in self.months():
                lines = self.invoice_lines(intervention, first, last)
                if not lines:
                    continue
                number = f"{provider}-{intervention.key}-{first:%Y%m}"
                lag = rng.randint(60, 150) if rng.random() < 0.1 else rng.randint(7, 35)
                received = last + timedelta(days=lag)
                key = f"{intervention.key}-{first:%Y%m}"
                if rng.random() < 0.04:  # a line billed twice over, reversed and reissued
                    wrong = [{**lines[0], "amount": lines[0]["amount"] * 2}, *lines[1:]]
                    yield self._invoice(key + "-wrong", intervention, number, wrong, received)
                    yield {
                        "key": key + "-reversal",
                        "intervention": intervention.key,
                        "kind": "reversal",
                        "reverses": key + "-wrong",
                        "correct": True,
                        "body": {
                            "description": f"Invoice {number} overbilled a line: reversed",
                            "accounting_date": (received + timedelta(days=14)).isoformat(),
                        },
                    }
                    number, received = f"{number}-R", received + timedelta(days=21)
                yield self._invoice(key, intervention, number, lines, received, correct=True)
                yield {
                    "key": key + "-payment",
                    "intervention": intervention.key,
                    "kind": "payment",
                    "reverses": None,
                    "correct": True,
                    "body": {
                        "kind": "payment",
                        "description": f"BACS payment of invoice {number}",
                        "accounting_date": (received + timedelta(days=30)).isoformat(),
                        "lines": lines,
                    },
                }

    def _invoice(
        self,
        key: str,
        intervention: InterventionPlan,
        number: str,
        lines: list[dict[str, Any]],
        received: date,
        *,
        correct: bool = False,
    ) -> dict[str, Any]:
        return {
            "key": key,
            "intervention": intervention.key,
            "kind": "invoice",
            "reverses": None,
            "correct": correct,
            "body": {
                "kind": "invoice",
                "invoice_number": number,
                "description": f"{intervention.title}, {lines[0]['service_period_start'][:7]}",
                "accounting_date": received.isoformat(),
                "lines": lines,
            },
        }

    # -- the truth --------------------------------------------------------------------------------

    def ground_truth(self) -> dict[str, Any]:
        """What each intervention truly cost and truly achieved over the whole period."""
        spend = dict.fromkeys(self.interventions, 0)
        transactions = 0
        for item in self.ledger():
            transactions += 1
            if item["kind"] == "invoice" and item["correct"]:
                spend[item["intervention"]] += sum(line["amount"] for line in item["body"]["lines"])
        caused = dict.fromkeys(self.interventions, 0)
        oracle = dict.fromkeys(self.interventions, 0.0)
        observed = 0
        measured: set[str] = set()
        for child in self.children:
            by_code: dict[str, list[Observation]] = {}
            for o in self.child_observations(child):
                by_code.setdefault(o.indicator, []).append(o)
            for code, found in by_code.items():
                observed += len(found)
                if self._judge_pair(child, code, found, caused, oracle):
                    measured.add(child.ref)
        rows = {}
        for key, k in self.interventions.items():
            better = caused[key]
            rows[key] = {
                "title": k.title,
                "category": k.category,
                "provider": k.provider,
                "pricing_model": k.pricing_model,
                "capacity": k.capacity,
                "prices_pence": [[since.isoformat(), price] for since, price in k.prices],
                "target_indicators": k.targets,
                "true_effects": {
                    code: {need: k.effect(code, need) for need in NEED_LEVELS} for code in k.targets
                },
                "children": len({e.child for e in k.enrolments}),
                "spend_pence": spend[key],
                "true_better_off": better,
                "true_cost_per_better_off_pence": (
                    round(Fraction(spend[key], better)) if better > 0 else None
                ),
                "oracle_better_off": round(oracle[key], 3),
            }
        return {
            "preset": self.preset.name,
            "seed": self.seed,
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "counts": {
                "providers": len(self.providers),
                "interventions": len(self.interventions),
                "children": len(self.children),
                "enrolments": sum(len(c.enrolments) for c in self.children),
                "observations": observed,
                "ledger_transactions": transactions,
                "children_with_baseline_and_later": len(measured),
            },
            "interventions": rows,
        }

    def _judge_pair(
        self,
        child: ChildPlan,
        code: str,
        found: list[Observation],
        caused: dict[str, int],
        oracle: dict[str, float],
    ) -> bool:
        """The value method's baseline and latest readings for (child, indicator), and who truly
        made the difference: an intervention caused a better-off outcome when, without its
        effect (and with the same noise), the child would not have been better off. False when
        the method finds no change to measure."""
        ordered = sorted(found, key=lambda o: o.day)
        first_start = min(o.enrolment.start for o in ordered)
        window = [
            o
            for o in ordered
            if first_start - timedelta(days=BASELINE_WINDOW_DAYS) <= o.day <= first_start
        ]
        after = [o for o in ordered if o.day > first_start]
        baseline = window[-1] if window else after[0] if after else None
        latest = ordered[-1]
        if baseline is None or latest.day <= baseline.day:
            return False
        sign, threshold = TRAJECTORIES[code].sign, THRESHOLDS[code]

        def better(start: int, end: int) -> bool:
            return (end - start) * sign >= threshold

        if not better(baseline.value, latest.value):
            return True
        contribution = {}
        for key in latest.without:
            if not better(baseline.without[key], latest.without[key]):
                caused[key] += 1
            contribution[key] = max((latest.value - latest.without[key]) * sign, 0) - max(
                (baseline.value - baseline.without[key]) * sign, 0
            )
        total = sum(c for c in contribution.values() if c > 0)
        for key, c in contribution.items():
            if total and c > 0:
                oracle[key] += c / total
        return True


def _reading(t: Trajectory, level: float) -> int:
    """What a provider records: a whole number within the indicator's range."""
    return round(min(max(level, t.low), t.high))
