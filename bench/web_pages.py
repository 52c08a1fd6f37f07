"""Server time of each web page (p50/p95) and the weight of the cost-per-outcome page.

    .venv/bin/python -m bench.web_pages --preset demo [--repeats 20] [--port-offset 20000]

Starts the four services and the web application as processes with databases and topics of
this run's own (bench/common.py), loads the synthetic council `--preset` through the APIs,
signs in through the development sign-in page as finance, a commissioner and a provider, and
asks each role's pages `--repeats` times. Server time is the web service's own `Server-Timing`
(from the request's arrival to its response, including its calls to the APIs), so the client's
share is left out. The page weight is what Chromium (Playwright, /usr/bin/chromium) fetches for
the cost-per-outcome page: its HTML and every asset, cold and with the browser's cache warm.
Prints the figures and the machine line; nothing is written.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import sync_playwright

from bench.common import System, machine, percentile, running_system
from deploy import processes, provision, stack
from deploy.council import load
from deploy.demo import Acorn

TIMING = re.compile(r"app;dur=([0-9.]+)")


def signed_in(web: str, role: str, provider_id: str = "") -> requests.Session:
    session = requests.Session()
    page = session.get(f"{web}/sign-in", timeout=60).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, "no sign-in form"
    answer = session.post(
        f"{web}/sign-in",
        data={"csrf_token": csrf.group(1), "role": role, "provider_id": provider_id, "next": "/"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def server_ms(session: requests.Session, url: str) -> tuple[float, int]:
    answer = session.get(url, timeout=120)
    assert answer.status_code == 200, f"{url}: {answer.status_code}"
    found = TIMING.search(answer.headers.get("Server-Timing", ""))
    assert found, "no Server-Timing header"
    return float(found.group(1)), len(answer.content)


def page_weight(web: str, session: requests.Session, path: str) -> tuple[int, int, int]:
    """(HTML bytes, all bytes on a cold load, bytes fetched again on a warm reload)."""
    cookie = session.cookies.get("acorn_session")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(provision.chromium()))
        context = browser.new_context()
        context.add_cookies([{"name": "acorn_session", "value": cookie, "url": web}])
        page = context.new_page()
        fetched: list[int] = []
        page.on(
            "requestfinished", lambda request: fetched.append(request.sizes()["responseBodySize"])
        )
        page.goto(web + path, wait_until="load")
        cold = sum(fetched)
        html = fetched[0]
        fetched.clear()
        page.reload(wait_until="load")
        warm = sum(fetched)
        browser.close()
    return html, cold, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--port-offset", type=int, default=20_000)
    args = parser.parse_args()

    with running_system(port_offset=args.port_offset) as system:
        web_component = stack.web_component(
            port_offset=args.port_offset, name_suffix=f"-bench{system.run}", env=system.env
        )
        processes.start(web_component)
        try:
            processes.wait_ready(web_component)
            web = f"http://{stack.LOCAL_HOST}:{stack.WEB_PORT + args.port_offset}"
            acorn = Acorn(urls=system.urls, token_for=system.token, timeout=300)
            began = time.monotonic()
            with tempfile.TemporaryDirectory() as state:
                truth = load.main(args.preset, args.seed, acorn=acorn, state_dir=Path(state))
            print(f"loaded {args.preset} in {time.monotonic() - began:.0f}s", file=sys.stderr)
            measure(web, system, truth, args.repeats)
        finally:
            processes.stop(web_component.pid_file)
    return 0


def measure(web: str, system: System, truth: dict[str, Any], repeats: int) -> None:
    acorn_urls, token = system.urls, system.token
    headers = {"Authorization": f"Bearer {token('finance')}"}
    report = requests.get(
        f"{acorn_urls['value']}/reports/cost-per-outcome", headers=headers, timeout=300,
        params={"fy": "2024"},
    ).json()  # fmt: skip
    biggest = max(report["rows"], key=lambda row: row["spend_pence"])["group"]
    by_provider = requests.get(
        f"{acorn_urls['value']}/reports/cost-per-outcome", headers=headers, timeout=300,
        params={"fy": "2024", "group_by": "provider"},
    ).json()  # fmt: skip
    biggest_provider = max(by_provider["rows"], key=lambda row: row["spend_pence"])["group"]
    provider_id = next(iter(truth["ids"]["providers"].values()))
    held = requests.get(
        f"{acorn_urls['commissioning']}/enrolments",
        headers={"Authorization": f"Bearer {token('provider', provider_id)}"},
        params={"status": "enrolled", "page_size": 1}, timeout=60,
    ).json()["items"]  # fmt: skip
    pages = {
        "finance": [
            "/",
            "/reports/cost-per-outcome?fy=2024",
            "/reports/cost-per-outcome?fy=2024&sort=spend&order=desc",
            f"/reports/cost-per-outcome/interventions/{biggest}?fy=2024",
            "/reports/report-cards?fy=2024",
            "/reports/turn-the-curve?fy=2024",
            "/reports/narrow-the-gap?fy=2024",
            "/reports/reconciliation?fy=2024",
            f"/reports/cost-per-outcome/groups/provider/{biggest_provider}?fy=2024",
            "/finance/forecast?fy=2024",
            "/finance/forecast?fy=2024&group_by=intervention",
            "/finance/exceptions?fy=2024",
            "/finance/months",
        ],
        "commissioner": [
            "/providers",
            "/interventions",
            f"/interventions/{biggest}",
            "/enrolments",
            f"/reports/cost-per-outcome/interventions/{biggest}?fy=2024",
        ],
        "provider": ["/provider/children", "/provider/invoices", "/provider/readings/upload"]
        + ([f"/provider/children/{held[0]['child_ref']}"] if held else []),
    }
    print(f"{'role':<13} {'page':<62} {'first':>8} {'p50':>8} {'p95':>8} {'bytes':>9}")
    worst = 0.0
    for role, paths in pages.items():
        session = signed_in(web, role, provider_id if role == "provider" else "")
        for path in paths:
            first, size = server_ms(session, web + path)
            samples = [server_ms(session, web + path)[0] for _ in range(repeats)]
            p95 = percentile(samples, 0.95)
            worst = max(worst, p95)
            print(
                f"{role:<13} {path[:62]:<62} {first:>6.0f}ms {percentile(samples, 0.5):>6.0f}ms "
                f"{p95:>6.0f}ms {size:>9,}"
            )
    print(f"\nworst page p95 (warm): {worst:.0f} ms")
    html, cold, warm = page_weight(
        web, signed_in(web, "finance"), "/reports/cost-per-outcome?fy=2024"
    )
    print(
        f"cost-per-outcome page weight: HTML {html / 1024:.1f} KiB; cold load "
        f"{cold / 1024:.1f} KiB (HTML, CSS, JavaScript, fonts, images); warm reload "
        f"{warm / 1024:.1f} KiB fetched"
    )
    print(machine())


if __name__ == "__main__":
    sys.exit(main())
