"""Reads carry an ETag, and a caller that already holds the current one gets 304."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient


def test_a_read_the_caller_already_has_answers_304(
    client_of: Callable[[str], FlaskClient], auth: Callable[..., dict[str, str]]
) -> None:
    client = client_of("commissioning")
    created = client.post(
        "/providers", json={"name": "Oak", "kind": "voluntary"}, headers=auth("commissioner")
    )
    path = created.headers["Location"]
    first = client.get(path, headers=auth("commissioner"))
    etag = first.headers["ETag"]
    again = client.get(path, headers={**auth("commissioner"), "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    listed = client.get("/providers", headers=auth("commissioner"))
    unchanged = client.get(
        "/providers", headers={**auth("commissioner"), "If-None-Match": listed.headers["ETag"]}
    )
    assert unchanged.status_code == 304
