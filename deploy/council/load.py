"""Load a synthetic council into a running Acorn, only through the services' public APIs.

Commissioners register providers, commission interventions (activate them, uplift prices each
April), enrol children and end enrolments, and record needs assessments; providers post their
children's observations in batches; finance posts invoices, reversals of wrong ones, and payments.

Every write's Idempotency-Key is derived from the preset, the seed and the item, so a load that
was interrupted can be run again: what was done is replayed (the first answer comes back, nothing
is written twice) and the rest is done. Progress goes to stderr, one updating line per phase.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO, TypeVar

from deploy.council.generate import CATEGORIES, ChildPlan, Council, InterventionPlan
from deploy.demo import Acorn, DemoError

BATCH = 500  # observations a request (the API takes up to 1,000)
WORKERS = 4  # requests in flight: independent items (other interventions, children) in parallel
T = TypeVar("T")
UNITS_A_YEAR = {
    "per_child_week": 52,
    "per_child_day": 365,
    "per_session": 52,
    "block_per_month": 12,
}


class Progress:
    """`label  done/total  pct  elapsed` rewritten in place on stderr.

    Redrawn at most `REDRAWS_A_SECOND` times a second, and always at the start and the end:
    where stderr is a file (`./dev up` into a log), every redraw is another line of it.
    """

    REDRAWS_A_SECOND = 4

    def __init__(
        self,
        label: str,
        total: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        out: TextIO | None = None,
    ) -> None:
        self.label, self.total, self.done = label, total, 0
        self.clock, self.out = clock, out or sys.stderr
        self.began = self.drawn_at = clock()
        self.lock = threading.Lock()
        self._draw()

    def step(self, n: int = 1) -> None:
        with self.lock:
            self.done += n
            if self.done >= self.total or self.clock() - self.drawn_at >= 1 / self.REDRAWS_A_SECOND:
                self._draw()

    def _draw(self) -> None:
        pct = 100 * self.done // self.total if self.total else 100
        self.drawn_at = self.clock()
        elapsed = self.drawn_at - self.began
        self.out.write(
            f"\r  {self.label:<22}{self.done:>9}/{self.total:<9}{pct:>4}%  {elapsed:6.1f}s"
        )
        if self.done >= self.total:
            self.out.write("\n")
        self.out.flush()


class Loader:
    def __init__(self, council: Council, acorn: Acorn) -> None:
        self.council, self.acorn = council, acorn
        self.providers: dict[str, str] = {}
        self.interventions: dict[str, str] = {}
        self.pool = ThreadPoolExecutor(WORKERS)

    def each(self, groups: Iterable[T], run: Callable[[T], None]) -> None:
        """`run` every group, several at once; the items within a group go in order. Groups
        are taken from `groups` only as workers free up, so a stream stays a stream."""
        in_flight: list[Future[None]] = []
        for group in groups:
            in_flight.append(self.pool.submit(run, group))
            while len(in_flight) > 2 * WORKERS:
                in_flight.pop(0).result()
        for future in in_flight:
            future.result()

    def key(self, item: str) -> str:
        return f"council-{self.council.tag}-{item}"

    def write(self, service: str, path: str, item: str, **kwargs: Any) -> Any:
        return self.acorn.write(service, path, key=self.key(item), **kwargs)

    def run(self) -> dict[str, Any]:
        try:
            return self._run()
        finally:
            self.pool.shutdown()

    def _run(self) -> dict[str, Any]:
        c = self.council
        progress = Progress("providers", len(c.providers))
        for p in c.providers:
            body = {"name": p.name, "kind": p.kind, "ofsted_urn": p.ofsted_urn}
            answer = self.write("commissioning", "/providers", f"provider-{p.key}",
                                role="commissioner", json=body)  # fmt: skip
            self.providers[p.key] = answer.json()["provider_id"]
            progress.step()
        progress = Progress("interventions", len(c.interventions))
        for k in c.interventions.values():
            self._commission(k)
            progress.step()
        progress = Progress("enrolments", sum(len(k.enrolments) for k in c.interventions.values()))

        def enrol(k: InterventionPlan) -> None:
            for e in k.enrolments:
                enrolled = self.write(
                    "commissioning", f"/interventions/{self.interventions[k.key]}/enrolments",
                    f"enrol-{e.key}", role="commissioner",
                    json={"child_ref": e.child, "start_date": e.start.isoformat()},
                ).json()  # fmt: skip
                if e.end is not None:
                    self.write(
                        "commissioning", f"/enrolments/{enrolled['enrolment_id']}/end",
                        f"end-{e.key}", role="commissioner", etag='"v1"',
                        json={"end_date": e.end.isoformat(), "reason": "planned end of support"},
                    )  # fmt: skip
                progress.step()

        self.each(c.interventions.values(), enrol)
        progress = Progress("needs assessments", len(c.children))

        def assess(child: ChildPlan) -> None:
            body = {
                "child_ref": child.ref,
                "assessed_on": child.assessed_on.isoformat(),
                "scores": child.scores,
            }
            self.write("outcomes", "/needs-assessments", f"needs-{child.ref}",
                       role="commissioner", json=body)  # fmt: skip
            progress.step()

        self.each(c.children, assess)
        self._observations()
        self._ledger()
        return {"providers": self.providers, "interventions": self.interventions}

    def _commission(self, k: InterventionPlan) -> None:
        c = self.council
        first_price = k.prices[0][1]
        per_year = UNITS_A_YEAR[k.pricing_model] * max(CATEGORIES[k.category].sessions_a_week, 1)
        places = 1 if k.pricing_model == "block_per_month" else k.capacity
        body = {
            "provider_id": self.providers[k.provider],
            "title": k.title,
            "category": k.category,
            "pricing_model": k.pricing_model,
            "unit_price_pence": first_price,
            "capacity": k.capacity,
            "start_date": c.start.isoformat(),
            "end_date": c.end.isoformat(),
            "budget_pence": first_price * per_year * places * c.preset.years * 11 // 10,
            "target_indicators": k.targets,
        }
        created = self.write("commissioning", "/interventions", f"intervention-{k.key}",
                             role="commissioner", json=body)  # fmt: skip
        intervention = created.json()["intervention_id"]
        self.interventions[k.key] = intervention
        self.write(
            "commissioning", f"/interventions/{intervention}/activate", f"activate-{k.key}",
            role="commissioner", etag=created.headers["ETag"],
            json={"effective_date": c.start.isoformat()},
        )  # fmt: skip
        # versions are known: 1 commissioned, 2 active, then one more per price amendment
        for version, (since, price) in enumerate(k.prices[1:], start=2):
            self.write(
                "commissioning", f"/interventions/{intervention}/price-amendments",
                f"price-{k.key}-{since:%Y%m%d}", role="commissioner", etag=f'"v{version}"',
                json={"effective_from": since.isoformat(), "unit_price_pence": price},
            )  # fmt: skip

    def _observations(self) -> None:
        c = self.council
        total = sum(len(c.child_observations(child)) for child in c.children)
        progress = Progress("observations", total)
        pending: dict[str, list[dict[str, Any]]] = {}
        batches: dict[str, int] = {}
        in_flight: list[Future[None]] = []

        def send(provider: str) -> None:
            rows, pending[provider] = pending[provider], []
            batches[provider] = number = batches.get(provider, 0) + 1
            in_flight.append(self.pool.submit(self._post_batch, provider, number, rows))
            in_flight[-1].add_done_callback(lambda _: progress.step(len(rows)))
            while len(in_flight) > 2 * WORKERS:  # keep memory flat: wait for the oldest
                in_flight.pop(0).result()

        for o in c.observations():
            k = c.interventions[o.enrolment.intervention]
            rows = pending.setdefault(k.provider, [])
            rows.append(
                {
                    "child_ref": o.child,
                    "indicator_code": o.indicator,
                    "value": o.value,
                    "observed_on": o.day.isoformat(),
                    "intervention_id": self.interventions[k.key],
                }
            )
            if len(rows) == BATCH:
                send(k.provider)
        for provider, rows in pending.items():
            if rows:
                send(provider)
        for future in in_flight:
            future.result()

    def _post_batch(self, provider: str, number: int, rows: list[dict[str, Any]]) -> None:
        """Post a provider's batch; rows refused because the outcomes service has not yet
        learned of an enrolment are sent again (under a next key) until they are recorded."""
        deadline = time.monotonic() + self.acorn.timeout
        attempt = 0
        while True:
            result = self.write(
                "outcomes", "/observations/batch", f"obs-{provider}-{number}-a{attempt}",
                role="provider", provider_id=self.providers[provider],
                json={"observations": rows},
            ).json()  # fmt: skip
            refused = [r for r in result["results"] if r["status"] in ("invalid", "forbidden")]
            invalid = [r for r in refused if r["status"] == "invalid"]
            if invalid:
                raise DemoError(f"observations refused as invalid: {invalid[:3]}")
            if not refused:
                return
            if time.monotonic() > deadline:
                raise DemoError(f"observations still refused: {refused[:3]}")
            rows = [rows[r["index"]] for r in refused]
            attempt += 1
            time.sleep(0.5)

    def _ledger(self) -> None:
        c = self.council
        progress = Progress("ledger transactions", sum(1 for _ in c.ledger()))

        def post(group: list[dict[str, Any]]) -> None:
            posted: dict[str, str] = {}
            for item in group:
                if item["kind"] == "reversal":
                    answer = self.write(
                        "ledger", "/reversals", item["key"], role="finance",
                        json={"reverses": posted[item["reverses"]], **item["body"]},
                    )  # fmt: skip
                else:
                    body = {"intervention_id": self.interventions[item["intervention"]]}
                    answer = self.write("ledger", "/transactions", item["key"], role="finance",
                                        json={**body, **item["body"]})  # fmt: skip
                posted[item["key"]] = answer.json()["transaction_id"]
                progress.step()

        # an intervention's items come together: stream them, one intervention a group
        groups = (list(group) for _, group in groupby(c.ledger(), key=itemgetter("intervention")))
        self.each(groups, post)


def system_is_empty(acorn: Acorn) -> bool:
    """No provider registered yet: nothing has been loaded."""
    answer = acorn.call("GET", "commissioning", "/providers", role="commissioner",
                        params={"page_size": 1})  # fmt: skip
    if not answer.ok:
        raise DemoError(f"could not list providers: {answer.status_code} {answer.text}")
    return answer.json()["total"] == 0


def truth_file(state_dir: Path, council: Council) -> Path:
    return state_dir / "council" / f"{council.tag}.json"


def main(preset: str, seed: int, *, acorn: Acorn, state_dir: Path) -> dict[str, Any]:
    """Load the preset; write (and return) its ground truth with the ids Acorn gave."""
    began = time.monotonic()
    council = Council(preset, seed)
    print(f"Loading the {preset} council (seed {seed}) through the APIs", file=sys.stderr)
    ids = Loader(council, acorn).run()
    truth = {**council.ground_truth(), "ids": ids}
    path = truth_file(state_dir, council)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, indent=1))
    print(
        f"Loaded in {time.monotonic() - began:.0f}s; ground truth: {path}",
        file=sys.stderr,
    )
    return truth
