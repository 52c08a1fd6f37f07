"""One paging convention: every paged list says where its next and previous pages are, in the
body and in a `Link` header."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient


def test_a_paged_list_links_its_neighbours(
    client_of: Callable[[str], FlaskClient], auth: Callable[..., dict[str, str]]
) -> None:
    client = client_of("commissioning")
    for number in range(5):
        body = {"name": f"Provider {number}", "kind": "voluntary"}
        assert client.post("/providers", json=body, headers=auth("commissioner")).status_code == 201
    first = client.get("/providers?page_size=2&kind=voluntary", headers=auth("commissioner"))
    page = first.get_json()
    assert (
        page["previous"] is None and page["next"] == "/providers?page_size=2&kind=voluntary&page=2"
    )
    assert first.headers["Link"] == f'<{page["next"]}>; rel="next"'
    middle = client.get(page["next"], headers=auth("commissioner")).get_json()
    assert [middle["page"], len(middle["items"])] == [2, 2]
    assert middle["previous"] == "/providers?page_size=2&kind=voluntary&page=1"
    last = client.get(middle["next"], headers=auth("commissioner")).get_json()
    assert [last["page"], len(last["items"]), last["next"]] == [3, 1, None]
    beyond = client.get("/providers?page=9&page_size=2", headers=auth("commissioner")).get_json()
    assert beyond["items"] == [] and beyond["previous"] == "/providers?page=3&page_size=2"
