"""The HTTP client of Acorn's APIs an import uses, acting as one role at a time.

Every write carries an Idempotency-Key the import derives from what it writes, so an import that
stopped half way can be run again: what was done answers as before, and the rest is done. A
refusal comes back as `Refused` with the service's problem detail; a failure to reach a service,
or a 5xx, is retried a few times before it stops the import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

TokenFor = Callable[[str], str]
PAGE_SIZE = 500  # the APIs' largest page
ATTEMPTS = 5


class Refused(Exception):
    """A service refused a request: 4xx, with its problem detail."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        errors = "; ".join(
            f"{e.get('field')}: {e.get('reason')}" for e in problem.get("errors", [])
        )
        super().__init__(
            f"{status} {problem.get('detail') or problem.get('title')} {errors}".strip()
        )
        self.status = status
        self.problem = problem


class Unreachable(Exception):
    """A service did not answer, or failed (5xx), however often it was asked."""


class AcornApi:
    def __init__(self, urls: dict[str, str], token_for: TokenFor, *, timeout: float = 60) -> None:
        self.urls, self.token_for, self.timeout = urls, token_for, timeout
        self._local = threading.local()  # one keep-alive session per thread

    @property
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        role: str,
        key: str | None = None,
        etag: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token_for(role)}"}
        if key:
            headers["Idempotency-Key"] = f"import-{key}"
        if etag:
            headers["If-Match"] = etag
        for attempt in range(ATTEMPTS):
            try:
                response = self._session.request(
                    method, self.urls[service] + path, headers=headers, timeout=self.timeout,
                    **kwargs,
                )  # fmt: skip
            except requests.ConnectionError as error:
                failure = f"{service} did not answer ({type(error).__name__})"
            else:
                if response.status_code < 500 or attempt == ATTEMPTS - 1:
                    break
                failure = f"{service} {path}: {response.status_code}"
            time.sleep(0.2 * 2**attempt)
        else:
            raise Unreachable(failure)
        if response.status_code >= 500:
            raise Unreachable(f"{service} {path}: {response.status_code}")
        if not response.ok:
            raise Refused(response.status_code, _problem(response))
        return response

    def post(self, service: str, path: str, *, role: str, key: str, **kwargs: Any) -> Any:
        return self.request("POST", service, path, role=role, key=key, **kwargs)

    def get(self, service: str, path: str, *, role: str, **params: Any) -> Any:
        return self.request("GET", service, path, role=role, params=params).json()

    def all_pages(self, service: str, path: str, *, role: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        page = 1
        while True:
            answer = self.get(service, path, role=role, page=page, page_size=PAGE_SIZE, **params)
            items.extend(answer["items"])
            if page * PAGE_SIZE >= answer["total"]:
                return items
            page += 1


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:200]}
    return body if isinstance(body, dict) else {"detail": str(body)[:200]}
