"""The whole fake SSDA903 return imported end to end, until the value service shows it.

Starts a system of its own (like tests/e2e), imports `../shared/data/ssda903/d2i-fake` through
the APIs as `./dev import 903` does, times each step of the import and then how long until the
value service's report for 2017-18 shows every child the import enrolled in that year; then
imports again (nothing to write) and times that. Goal: under 60 s end to end.

    .venv/bin/python -m bench.ssda903_import [--folder DIR] [--port-offset N]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from bench.common import machine, running_system
from deploy.paths import FAKE_SSDA903_RETURN
from services.imports.adapters.acorn_api import AcornApi
from services.imports.ssda903 import import_return

FAKE_RETURN = FAKE_SSDA903_RETURN
KEY = "bench-pseudonym-key-" + "x" * 20
FY = date(2017, 4, 1), date(2018, 3, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, default=FAKE_RETURN)
    parser.add_argument("--port-offset", type=int, default=12_100)
    args = parser.parse_args()
    with running_system(args.port_offset) as system:
        api = AcornApi(system.urls, lambda role: system.token(role))
        began = time.monotonic()
        last = [began]

        def say(step: str) -> None:
            now = time.monotonic()
            print(f"  {now - began:6.1f}s (+{now - last[0]:5.1f}s)  {step}", flush=True)
            last[0] = now

        report = import_return(args.folder, api=api, pseudonym_key=KEY, say=say)
        say("import done")
        children = {
            s.child_ref
            for s in report.plan.enrol
            if s.start <= FY[1] and (s.last_day is None or s.last_day >= FY[0])
        }
        query = {"fy": "2017", "group_by": "category", "basis": "accrued"}
        while True:
            total = api.get("value", "/reports/cost-per-outcome", role="finance", **query)["total"]
            if total["children_served"] == len(children):
                break
            if time.monotonic() - began > 600:
                sys.exit(f"the value service shows {total['children_served']} of {len(children)}")
            time.sleep(0.5)
        end_to_end = time.monotonic() - began
        say(f"visible in the value service: {len(children)} children, {total['child_weeks']} weeks")
        again_began = time.monotonic()
        again = import_return(args.folder, api=api, pseudonym_key=KEY, say=lambda _: None)
        assert again.plan.writes_nothing
        print("\n".join(report.lines()))
        print(
            f"end to end (read, plan, write, until the value service shows it): {end_to_end:.1f} s"
        )
        print(f"importing again (nothing to write): {time.monotonic() - again_began:.1f} s")
        print(machine())


if __name__ == "__main__":
    main()
