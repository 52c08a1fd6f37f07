"""The whole system as processes (four services, their relays and consumers, and the web
application) on ports of their own, with the tiny council loaded through the APIs, and a
Chromium driven by Playwright (Debian's, at /usr/bin/chromium: never a browser download)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright
from pymongo import MongoClient

from deploy import processes, provision, stack
from deploy.council import load
from deploy.demo import Acorn
from shared.auth import mint_token
from shared.events.topics import all_topics
from shared.kafka import delete_topics, ensure_topics
from tests.support.identity import TEST_JWT, unique_name

# clear of tests/e2e's system, which may run in the same session
PORT_OFFSET = int(os.environ.get("ACORN_E2E_PORT_OFFSET", "10000")) + 200
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def token_for(role: str, *, provider_id: str | None = None) -> str:
    return mint_token(TEST_JWT, roles=[role], provider_id=provider_id, subject=f"test-{role}")


@dataclass(frozen=True)
class WebSystem:
    web: str
    urls: dict[str, str]
    truth: dict[str, Any]

    def api(
        self, role: str, service: str, path: str, provider_id: str | None = None, **params: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {token_for(role, provider_id=provider_id)}"}
        answer = requests.get(self.urls[service] + path, headers=headers, params=params, timeout=30)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(scope="module")
def web_system(
    mongo_uri: str,
    kafka_bootstrap: str,
    mongo_client: MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WebSystem]:
    prefix = f"{unique_name('web')}."
    ensure_topics(kafka_bootstrap, all_topics(prefix))
    databases = {f"ACORN_{s.name.upper()}_DB": unique_name(f"web_{s.name}") for s in stack.SERVICES}
    env = stack.isolated_environment(
        mongodb_uri=mongo_uri, kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix,
        databases=databases, jwt=TEST_JWT,
    )  # fmt: skip
    components = [
        *stack.service_components(port_offset=PORT_OFFSET, name_suffix="-webtest", env=env),
        stack.web_component(port_offset=PORT_OFFSET, name_suffix="-webtest", env=env),
    ]
    urls = {s.name: f"http://{stack.LOCAL_HOST}:{s.port + PORT_OFFSET}" for s in stack.SERVICES}
    try:
        for component in components:
            processes.start(component)
        for component in components:
            processes.wait_ready(component)
        acorn = Acorn(urls=urls, token_for=token_for, timeout=120)
        truth = load.main("tiny", 2025, acorn=acorn, state_dir=tmp_path_factory.mktemp("council"))
        yield WebSystem(
            web=f"http://{stack.LOCAL_HOST}:{stack.WEB_PORT + PORT_OFFSET}", urls=urls, truth=truth
        )
    finally:
        for component in components:
            processes.stop(component.pid_file)
        for database in databases.values():
            mongo_client.drop_database(database)
        delete_topics(kafka_bootstrap, all_topics(prefix))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(provision.chromium()))
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


AXE = provision.web_assets() / "axe-core" / "axe.min.js"


def accessible(page: Page) -> None:
    """axe-core (from its npm package) finds no serious or critical violation on the page."""
    page.add_script_tag(path=str(AXE))
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
    result = page.evaluate("tags => axe.run(document, {runOnly: tags})", tags)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{page.url}: " + "; ".join(serious)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, web: str, role: str, provider_name: str | None = None) -> None:
    page.goto(f"{web}/sign-in")
    page.get_by_label(role.capitalize(), exact=True).check()
    if provider_name:
        page.get_by_label("Which provider do you work for?").select_option(label=provider_name)
    page.get_by_role("button", name="Sign in").click()
