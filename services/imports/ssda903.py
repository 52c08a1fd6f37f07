"""Use case: import a council's SSDA903 return into Acorn, through its APIs, as the council.

Read the folder (refusing what cannot be imported, with file, line, column and reason), plan
against what Acorn already holds, write the plan, and say what was done. Writes go in the order
the rules need: providers, interventions (commissioned and activated), enrolments (a stay's
enrolment and then its end), and the OC2 readings as council-sourced observations dated at the
end of the return's year.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from services.imports.adapters.acorn_api import AcornApi, Refused
from services.imports.adapters.held import COUNCIL, read_held
from services.imports.adapters.rates import RateTable
from services.imports.adapters.ssda903_files import EPISODES, OC2, ReturnFolderError, read_return
from services.imports.domain.age_bands import BANDS
from services.imports.domain.episodes import Stay, stays
from services.imports.domain.outcomes import (
    Reading,
    readings,
    return_year_of,
    source_system,
    unmatched_columns,
    year_end,
)
from services.imports.domain.placements import category_of, title_of
from services.imports.domain.plan import Held, Plan, plan
from services.imports.domain.pseudonyms import child_ref
from services.imports.domain.refusals import Refusal
from services.imports.domain.ssda903_codes import OC2_INDICATORS, PROVIDERS

# placements are spot purchases: no real cap on places, and no block budget to commit
CAPACITY = 1000
BUDGET_PENCE = 0
# interventions run from the earliest episode to this many years after the return's year, so
# later returns enrol within them (an intervention's dates cannot be extended)
YEARS_AHEAD = 5
UNPRICED = ("per_child_week", 0)
BATCH = 1000  # observations a request: the outcomes API's limit
ENROLMENT_BATCH = 500  # enrolments a request: the commissioning API's limit
# a field the commissioning API refuses -> the episodes column it came from
EPISODE_COLUMNS = {"child_ref": "CHILD", "start_date": "DECOM", "end_date": "DEC"}
WRITERS = 4  # interventions enrolled at once (one intervention's enrolments go in order)


@dataclass
class ImportReport:
    return_year: int
    rows: dict[str, int]
    ignored_files: list[str]
    refusals: list[Refusal]
    plan: Plan
    children: int
    age_bands: Counter[str]
    unpriced: list[str] = field(default_factory=list)  # titles created without a price
    unmatched_columns: list[str] = field(default_factory=list)
    written: bool = False

    def lines(self) -> list[str]:
        p = self.plan
        done = "" if self.written else " (checked only: nothing written)"
        out = [
            f"SSDA903 return {self.return_year - 1}-{self.return_year % 100:02d}{done}",
            "  read: " + ", ".join(f"{name} {n} rows" for name, n in self.rows.items()),
            f"  children: {self.children} ("
            + ", ".join(
                f"{band} {self.age_bands[band]}" for _, band in BANDS if band in self.age_bands
            )
            + " at their first episode)",
            f"  providers registered: {len(p.providers)}",
            f"  interventions commissioned: {len(p.interventions)}",
            f"  enrolments: {len(p.enrol)} new ({sum(s.last_day is None for s in p.enrol)} open), "
            f"{len(p.end)} ended, {p.unchanged_stays} unchanged, {len(p.conflicts)} not changed",
            f"  observations: {len(p.record)} new, {len(p.correct)} corrected, "
            f"{p.unchanged_readings} unchanged",
        ]
        if self.unpriced:
            out.append(
                f"  {len(self.unpriced)} interventions were commissioned without a price (no rate "
                "for them in the rate table, or no --rates): amend their prices in commissioning"
            )
        if self.unmatched_columns:
            out.append(
                f"  not imported: OC2 {', '.join(self.unmatched_columns)} (no such indicator in "
                "the outcome framework)"
            )
        if self.ignored_files:
            out.append(f"  not read (not used by Acorn): {', '.join(self.ignored_files)}")
        for stay, why in p.conflicts:
            out.append(f"  not changed: episodes.csv line {stay.lines[0]}: {why}")
        out.append(f"  refused rows: {len(self.refusals)}")
        return out


Say = Callable[[str], None]


def import_return(
    folder: Path,
    *,
    api: AcornApi,
    pseudonym_key: str,
    rates: RateTable | None = None,
    year: int | None = None,
    check_only: bool = False,
    say: Say = print,
) -> ImportReport:
    say(f"reading {folder}")
    contents = read_return(folder, pseudonym=partial(child_ref, pseudonym_key))
    if not contents.episodes and year is None:
        raise ReturnFolderError(
            f"{folder}: not one episode can be imported, so its year is unknown"
        )
    return_year = year or return_year_of(e.start for e in contents.episodes)
    observed_on = year_end(return_year)
    system = source_system(return_year)
    framework = {
        i["code"]
        for i in api.get("outcomes", "/indicators", role=COUNCIL, status="active")["items"]
    }
    found = stays(contents.episodes)
    wanted = [
        reading
        for ref, (_, values) in contents.oc2.items()
        for reading in readings(ref, values, observed_on=observed_on, indicators=framework)
    ]
    say("reading what Acorn holds of it")
    held = read_held(api, children=contents.oc2, source_system=system, observed_on=observed_on)
    to_do = plan(found, wanted, held)
    report = ImportReport(
        return_year=return_year,
        rows=contents.rows,
        ignored_files=contents.ignored_files,
        refusals=list(contents.refusals) + (rates.refusals if rates else []),
        plan=to_do,
        children=len({s.child_ref for s in found}),
        age_bands=Counter(contents.age_bands.values()),
        unmatched_columns=unmatched_columns(framework),
    )
    if check_only:
        return report
    targets = sorted(code for code in OC2_INDICATORS.values() if code in framework)
    writer = _Writer(api, held, rates or RateTable(), targets, system)
    say(f"writing: {len(to_do.providers)} providers, {len(to_do.interventions)} interventions")
    writer.providers(to_do.providers)
    first_day = min((s.start for s in found), default=observed_on)
    last_day = year_end(return_year + YEARS_AHEAD)
    report.unpriced = writer.interventions(to_do.interventions, first_day, last_day)
    say(f"writing: {len(to_do.enrol)} enrolments, {len(to_do.end)} ends")
    report.refusals += writer.enrolments(to_do)
    say(f"writing: {len(to_do.record)} observations, {len(to_do.correct)} corrections")
    lines = {ref: line for ref, (line, _) in contents.oc2.items()}
    report.refusals += writer.observations(to_do, lines)
    report.refusals.sort()
    report.written = True
    return report


class _Writer:
    def __init__(
        self,
        api: AcornApi,
        held: Held,
        rates: RateTable,
        targets: list[str],
        system: str,
    ) -> None:
        self.api, self.held, self.rates = api, held, rates
        self.targets, self.system = targets, system

    def providers(self, codes: list[str]) -> None:
        for code in codes:
            kind = PROVIDERS[code]
            answer = self.api.post(
                "commissioning", "/providers", role=COUNCIL, key=f"903-provider-{code or 'none'}",
                json={"name": kind.name, "kind": kind.kind},
            )  # fmt: skip
            self.held.providers[kind.name] = answer.json()["provider_id"]

    def interventions(self, keys: list[tuple[str, str]], first: date, last: date) -> list[str]:
        """Commission and activate each, several at once; the titles of those without a price."""
        with ThreadPoolExecutor(WRITERS) as pool:
            done = [pool.submit(self._commission, key, first, last) for key in keys]
            return [title for future in done if (title := future.result())]

    def _commission(self, key: tuple[str, str], first: date, last: date) -> str | None:
        """Commission one; its title if it has no price."""
        placement, provider = key
        title = title_of(placement, provider)
        rate = self.rates.rate_for(placement, provider)
        model, pence = (rate.pricing_model, rate.unit_price_pence) if rate else UNPRICED
        body = {
            "provider_id": self.held.providers[PROVIDERS[provider].name],
            "title": title,
            "category": category_of(placement, provider),
            "pricing_model": model,
            "unit_price_pence": pence,
            "capacity": CAPACITY,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "budget_pence": BUDGET_PENCE,
            "target_indicators": self.targets,
        }
        item = f"903-intervention-{placement}-{provider or 'none'}-{first:%Y%m%d}-{pence}"
        created = self.api.post(
            "commissioning", "/interventions", role=COUNCIL, key=item, json=body
        )
        intervention = created.json()["intervention_id"]
        self.api.post(
            "commissioning", f"/interventions/{intervention}/activate", role=COUNCIL,
            key=f"{item}-activate", etag=created.headers["ETag"],
            json={"effective_date": first.isoformat()},
        )  # fmt: skip
        self.held.interventions[title] = intervention
        return None if rate else title

    def enrolments(self, to_do: Plan) -> list[Refusal]:
        """New stays in batches, several interventions at once; then ends of held stays."""
        by_intervention = groupby(
            sorted(to_do.enrol, key=attrgetter("intervention")), key=attrgetter("intervention")
        )
        refused: list[Refusal] = []
        with ThreadPoolExecutor(WRITERS) as pool:
            done = [pool.submit(self._enrol_all, list(group)) for _, group in by_intervention]
            for future in done:
                refused += future.result()
        for known, stay in to_do.end:
            self._end(known.enrolment_id, known.version, stay)
        return refused

    def _enrol_all(self, group: list[Stay]) -> list[Refusal]:
        intervention = self.held.interventions[title_of(*group[0].intervention)]
        refused = []
        for start in range(0, len(group), ENROLMENT_BATCH):
            batch = group[start : start + ENROLMENT_BATCH]
            rows = [
                {
                    "child_ref": stay.child_ref,
                    "start_date": stay.start.isoformat(),
                    "end_date": stay.last_day.isoformat() if stay.last_day else None,
                    "end_reason": stay.end_reason,
                }
                for stay in batch
            ]
            answer = self.api.post(
                "commissioning", f"/interventions/{intervention}/enrolments/batch", role=COUNCIL,
                key=f"903-enrol-{intervention}-{_fingerprint(rows)}", json={"enrolments": rows},
            ).json()  # fmt: skip
            for result in answer["results"]:
                if result["status"] != "enrolled":
                    stay = batch[result["index"]]
                    for error in result["errors"]:
                        column = EPISODE_COLUMNS.get(error["field"], "")
                        refused.append(Refusal(EPISODES, stay.lines[0], column, error["reason"]))
        return refused

    def _end(self, enrolment_id: str, version: int, stay: Stay) -> None:
        assert stay.last_day is not None and stay.end_reason is not None
        self.api.post(
            "commissioning", f"/enrolments/{enrolment_id}/end", role=COUNCIL,
            key=f"903-end-{enrolment_id}-{stay.last_day:%Y%m%d}", etag=f'"v{version}"',
            json={"end_date": stay.last_day.isoformat(), "reason": stay.end_reason},
        )  # fmt: skip

    def observations(self, to_do: Plan, lines: dict[str, int]) -> list[Refusal]:
        """Record new readings in batches; correct changed ones. Refused ones come back."""
        refused = []
        column_of = {code: column for column, code in OC2_INDICATORS.items()}
        rows = [self._row(reading) for reading in to_do.record]
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            answer = self.api.post(
                "outcomes", "/observations/batch", role=COUNCIL,
                key=f"903-oc2-{_fingerprint(batch)}", json={"observations": batch},
            ).json()  # fmt: skip
            for result in answer["results"]:
                if result["status"] != "recorded":
                    row = batch[result["index"]]
                    why = "; ".join(f"{e['field']} {e['reason']}" for e in result["errors"])
                    refused.append(
                        Refusal(OC2, lines[row["child_ref"]], column_of[row["indicator_code"]], why)
                    )
        for known, reading in to_do.correct:
            try:
                self.api.post(
                    "outcomes", f"/observations/{known.observation_id}/correction", role=COUNCIL,
                    key=f"903-correct-{known.observation_id}-{reading.value}",
                    json={"value": reading.value},
                )  # fmt: skip
            except Refused as error:
                column = column_of[reading.indicator_code]
                refused.append(Refusal(OC2, lines[reading.child_ref], column, str(error)))
        return refused

    def _row(self, reading: Reading) -> dict[str, Any]:
        return {
            "child_ref": reading.child_ref,
            "indicator_code": reading.indicator_code,
            "value": reading.value,
            "observed_on": reading.observed_on.isoformat(),
            "source_system": self.system,
        }


def _fingerprint(rows: list[dict[str, Any]]) -> str:
    """A batch's key: the same rows always get the same key, other rows another."""
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:32]
