"""One client per backend service, each called with the signed-in person's token.

The pages never decide what the APIs will accept: a refusal comes back as an `ApiError` carrying
the RFC 9457 problem's detail and its `errors` (field and reason), which forms show in the GOV.UK
error summary. `Backends` is what views use; unit tests hand the app a fake with the same methods.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from shared.logs import current_correlation_id

MAX_PAGE_SIZE = 500  # the APIs' largest page


class ApiError(Exception):
    """A service refused or failed a call: its status, detail and field errors."""

    def __init__(
        self, status: int, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.errors = errors or []


@dataclass(frozen=True)
class Download:
    body: bytes
    content_type: str
    filename: str


@dataclass
class ServiceClient:
    base_url: str
    token: str
    session: requests.Session
    timeout: float = 30.0

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "X-Correlation-ID": current_correlation_id(),
        }
        return {**headers, **(extra or {})}

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, self.base_url + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            raise ApiError(503, f"the service did not answer ({type(error).__name__})") from error
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ApiError(
                response.status_code,
                problem.get("detail") or response.reason or "refused",
                problem.get("errors") or [],
            )
        return response

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._send("GET", path, params=params, headers=self._headers()).json()

    def get_with_etag(self, path: str) -> tuple[Any, str]:
        response = self._send("GET", path, headers=self._headers())
        return response.json(), response.headers.get("ETag", "")

    def all_items(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paged list, a page at a time."""
        page = 1
        while True:
            answer = self.get(path, {**(params or {}), "page": page, "page_size": MAX_PAGE_SIZE})
            yield from answer["items"]
            if page * answer["page_size"] >= answer["total"]:
                return
            page += 1

    def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        if_match: str | None = None,
    ) -> Any:
        extra = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if if_match:
            extra["If-Match"] = if_match
        return self._send("POST", path, json=body, headers=self._headers(extra)).json()

    def upload(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str,
        params: dict[str, Any],
        idempotency_key: str,
    ) -> Any:
        """POST a file as the request's body (a spreadsheet upload)."""
        extra = {"Idempotency-Key": idempotency_key, "Content-Type": content_type}
        return self._send(
            "POST", path, data=body, params=params, headers=self._headers(extra)
        ).json()

    def download(self, path: str, params: dict[str, Any]) -> Download:
        response = self._send("GET", path, params=params, headers=self._headers())
        disposition = response.headers.get("Content-Disposition", "")
        filename = disposition.partition("filename=")[2].strip('"') or "download"
        return Download(response.content, response.headers.get("Content-Type", ""), filename)


def _query(**filters: Any) -> dict[str, Any]:
    return {name: value for name, value in filters.items() if value not in (None, "")}


@dataclass
class CommissioningClient:
    api: ServiceClient

    def providers(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self.api.all_items("/providers", _query(**filters)))

    def provider(self, provider_id: str) -> dict[str, Any]:
        return self.api.get(f"/providers/{provider_id}")

    def interventions(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self.api.all_items("/interventions", _query(**filters)))

    def intervention(self, intervention_id: str) -> tuple[dict[str, Any], str]:
        return self.api.get_with_etag(f"/interventions/{intervention_id}")

    def enrolments(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self.api.all_items("/enrolments", _query(**filters)))

    def enrolment(self, enrolment_id: str) -> tuple[dict[str, Any], str]:
        return self.api.get_with_etag(f"/enrolments/{enrolment_id}")

    def commission(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.api.post("/interventions", body, idempotency_key=key)

    def activate(self, intervention_id: str, *, key: str, etag: str) -> dict[str, Any]:
        path = f"/interventions/{intervention_id}/activate"
        return self.api.post(path, {}, idempotency_key=key, if_match=etag)

    def amend_price(
        self, intervention_id: str, body: dict[str, Any], *, key: str, etag: str
    ) -> dict[str, Any]:
        path = f"/interventions/{intervention_id}/price-amendments"
        return self.api.post(path, body, idempotency_key=key, if_match=etag)

    def enrol(self, intervention_id: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        path = f"/interventions/{intervention_id}/enrolments"
        return self.api.post(path, body, idempotency_key=key)

    def end_enrolment(
        self, enrolment_id: str, body: dict[str, Any], *, key: str, etag: str
    ) -> dict[str, Any]:
        path = f"/enrolments/{enrolment_id}/end"
        return self.api.post(path, body, idempotency_key=key, if_match=etag)


@dataclass
class OutcomesClient:
    api: ServiceClient

    def indicators(self) -> list[dict[str, Any]]:
        """The active framework (one list, not paged)."""
        items: list[dict[str, Any]] = self.api.get("/indicators", {"status": "active"})["items"]
        return items

    def observations(self, child_ref: str) -> list[dict[str, Any]]:
        return list(self.api.all_items(f"/children/{child_ref}/observations"))

    def record(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.api.post("/observations", body, idempotency_key=key)

    def stories(self, indicator_code: str, cohort: str) -> list[dict[str, Any]]:
        """The story behind the curve, every version, oldest first."""
        path = f"/indicators/{indicator_code}/stories"
        items: list[dict[str, Any]] = self.api.get(path, {"cohort": cohort})["items"]
        return items

    def save_story(self, indicator_code: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.api.post(f"/indicators/{indicator_code}/stories", body, idempotency_key=key)

    def upload(self, body: bytes, *, content_type: str, key: str) -> dict[str, Any]:
        """A sheet of readings: each row's result, and the refused rows as CSV text."""
        params = {"refused_file": "true"}
        return self.api.upload(
            "/observations/upload", body, content_type=content_type, params=params,
            idempotency_key=key,
        )  # fmt: skip

    def template(self, extension: str) -> Download:
        return self.api.download("/observations/template", {"format": extension})


@dataclass
class LedgerClient:
    api: ServiceClient

    def transactions(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self.api.all_items("/transactions", _query(**filters)))

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        return self.api.get(f"/transactions/{transaction_id}")

    def report(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """A finance report: `/forecast` or one of `/exceptions/...`."""
        return self.api.get(path, params)

    def download(self, path: str, params: dict[str, Any]) -> Download:
        return self.api.download(path, params)

    def saved_forecasts(self, fy: str) -> list[dict[str, Any]]:
        saved: list[dict[str, Any]] = self.api.get("/saved-forecasts", {"fy": fy})["saved"]
        return saved

    def save_forecast(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.api.post("/saved-forecasts", body, idempotency_key=key)

    def months(self) -> dict[str, Any]:
        return self.api.get("/months")

    def act_on_month(self, month: str, action: str, reason: str, *, key: str) -> dict[str, Any]:
        """Close or reopen a month (with no reason when none was given)."""
        body = {"reason": reason or None}
        return self.api.post(f"/months/{month}/{action}", body, idempotency_key=key)


@dataclass
class ValueClient:
    api: ServiceClient

    def report(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.api.get(f"/reports/{name}", params)

    def download(self, name: str, params: dict[str, Any]) -> Download:
        return self.api.download(f"/reports/{name}", params)


@dataclass
class Backends:
    commissioning: CommissioningClient
    outcomes: OutcomesClient
    ledger: LedgerClient
    value: ValueClient


@dataclass
class HttpBackends:
    """Builds the four clients for one person's token, over one keep-alive session per thread
    (a new connection for every call would cost more than many of the calls)."""

    urls: dict[str, str]
    timeout: float
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __call__(self, token: str) -> Backends:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        session = self._local.session

        def client(service: str) -> ServiceClient:
            return ServiceClient(self.urls[service], token, session, self.timeout)

        return Backends(
            commissioning=CommissioningClient(client("commissioning")),
            outcomes=OutcomesClient(client("outcomes")),
            ledger=LedgerClient(client("ledger")),
            value=ValueClient(client("value")),
        )
