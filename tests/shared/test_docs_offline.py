"""Each service's interactive documentation works with no internet: the page names only assets
the service itself serves, and each of them answers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

SERVICES = ("commissioning", "outcomes", "ledger", "value")


@pytest.mark.parametrize("service", SERVICES)
def test_the_docs_page_and_its_assets_come_from_the_service(
    service: str, client_of: Callable[[str], FlaskClient]
) -> None:
    client = client_of(service)
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {asset.rsplit("/", 1)[-1] for asset in assets} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    }
    for asset in assets:
        assert asset.startswith("/"), f"{asset} would be fetched from elsewhere"
        with client.get(asset) as answer:  # a file response: closed when read
            assert answer.status_code == 200 and len(answer.get_data()) > 1_000, asset
    assert client.get("/openapi.json").status_code == 200
