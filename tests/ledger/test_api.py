"""The ledger's HTTP API on the real database: each kind, refusals by field, roles, reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.ledger.entrypoints.consumer import CommissioningHandlers
from services.ledger.service_layer import handlers
from shared.audit import COLLECTION as AUDIT
from shared.auth import mint_token
from tests.ledger.builders import enrolment, intervention, intervention_event, provider_event
from tests.ledger.conftest import LedgerStack, problem_fields
from tests.support.exports import csv_parts
from tests.support.identity import TEST_JWT

pytestmark = pytest.mark.integration
Auth = Callable[..., dict[str, str]]
JAN = "2025-01-01"


def line(
    amount: Any, child: str | None = "C001", start: str = JAN, end: str = "2025-01-31"
) -> dict[str, Any]:
    return {
        "child_ref": child,
        "service_period_start": start,
        "service_period_end": end,
        "amount": amount,
    }


def body(kind: str, /, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": kind,
        "intervention_id": "iv-1",
        "description": f"a {kind}",
        "lines": [line("310.00"), line(9_000, "C002")],
    }
    if kind == "invoice":
        payload["invoice_number"] = "INV-001"
    payload.update(changes)
    return payload


@pytest.fixture
def books(stack: LedgerStack) -> LedgerStack:
    """Two providers' interventions known to the ledger, as the consumer would have left them."""
    handlers.record_intervention(
        intervention(budget_pence=500_000), source="e", ledger=stack.ledger
    )
    handlers.record_intervention(
        intervention("iv-2", provider_id="prov-2", budget_pence=0), source="e", ledger=stack.ledger
    )
    handlers.record_enrolment(enrolment(start=date(2025, 1, 6)), source="e", ledger=stack.ledger)
    handlers.record_enrolment(
        enrolment(
            "en-2",
            intervention_id="iv-2",
            provider_id="prov-2",
            child_ref="C777",
            start=date(2025, 1, 1),
        ),
        source="e",
        ledger=stack.ledger,
    )
    return stack


def reconciled(stack: LedgerStack, auth: Auth) -> dict[str, Any]:
    response = stack.client.get("/reconciliation", headers=auth("auditor"))
    assert response.status_code == 200
    result = response.get_json()
    assert result["balanced"], result
    assert result["trial_balance_pence"] == 0
    return result


def test_finance_posts_every_kind_and_the_books_balance_after_each(
    books: LedgerStack, auth: Auth
) -> None:
    client = books.client
    adjustment = body(
        "adjustment",
        basis="accrued",
        postings=[
            {"account": "expense:iv-1", "amount": "1.50"},
            {"account": "accrued:prov-1", "amount": -150},
        ],
        lines=[line(150, None)],
    )
    posted = []
    for payload in (
        body("commitment"),
        body("accrual"),
        body("invoice"),
        body("payment"),
        adjustment,
    ):
        response = client.post("/transactions", json=payload, headers=auth("finance"))
        assert response.status_code == 201, response.get_json()
        posted.append(response.get_json())
        reconciled(books, auth)
    invoice = posted[2]
    assert invoice["invoice_number"] == "INV-001"
    assert invoice["postings"] == [
        {"account": "accrued:prov-1", "amount_pence": 40_000},
        {"account": "payable:prov-1", "amount_pence": -40_000},
    ]
    assert [ln["cost_pence"] for ln in invoice["lines"]] == [31_000, 9_000]
    assert (invoice["provider_id"], invoice["child_ref"]) == ("prov-1", None)
    assert (invoice["service_period_start"], invoice["service_period_end"]) == (JAN, "2025-01-31")
    reversal = client.post(
        "/reversals",
        json={"reverses": invoice["transaction_id"], "description": "duplicate"},
        headers=auth("finance"),
    )
    assert reversal.status_code == 201
    assert reversal.get_json()["transaction_id"] == f"reversal-of:{invoice['transaction_id']}"
    result = reconciled(books, auth)
    assert result["cost_by_basis"] == {
        "committed": 500_000 + 40_000,
        "accrued": 40_150,
        "invoiced": 0,
        "paid": 40_000,
    }
    assert result["expense_pence"] == 40_150
    fetched = client.get(f"/transactions/{invoice['transaction_id']}", headers=auth("finance"))
    assert fetched.get_json() == invoice


def test_a_repeated_request_has_one_effect(books: LedgerStack, auth: Auth) -> None:
    headers = auth("finance", key="retry-me")
    first = books.client.post("/transactions", json=body("payment"), headers=headers)
    again = books.client.post("/transactions", json=body("payment"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    payments = books.client.get("/transactions?kind=payment", headers=auth("finance")).get_json()
    assert payments["total"] == 1
    same_invoice = [
        books.client.post("/transactions", json=body("invoice"), headers=auth("finance"))
        for _ in "ab"
    ]
    assert [r.status_code for r in same_invoice] == [201, 201]
    assert same_invoice[0].get_json() == same_invoice[1].get_json()
    other = books.client.post(
        "/transactions", json=body("invoice", description="another"), headers=auth("finance")
    )
    assert other.status_code == 409 and problem_fields(other) == {"invoice_number"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"lines": [line(310.5)]}, {"lines.0.amount"}),
        ({"lines": [line("310.505")]}, {"lines.0.amount"}),
        ({"lines": [line("£310")]}, {"lines.0.amount"}),
        ({"currency": "EUR"}, {"currency"}),
        ({"lines": []}, {"lines"}),
        ({"intervention_id": "iv-unknown"}, {"intervention_id"}),
        ({"kind": "reversal"}, {"kind"}),
        ({"invoice_number": "X-1"}, {"invoice_number"}),
        ({"basis": "paid"}, {"basis"}),
        ({"surprise": 1}, {"surprise"}),
        ({"lines": [line(100, end="2024-12-31")]}, {"lines.0.service_period_end"}),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    books: LedgerStack, auth: Auth, changes: dict[str, Any], fields: set[str]
) -> None:
    response = books.client.post(
        "/transactions", json=body("payment", **changes), headers=auth("finance")
    )
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem_fields(response) == fields


def test_unbalanced_or_inconsistent_adjustments_are_refused(books: LedgerStack, auth: Auth) -> None:
    unbalanced = body(
        "adjustment",
        postings=[
            {"account": "expense:iv-1", "amount": 150},
            {"account": "accrued:prov-1", "amount": -100},
        ],
        lines=[line(150)],
    )
    response = books.client.post("/transactions", json=unbalanced, headers=auth("finance"))
    assert response.status_code == 422
    assert problem_fields(response) == {"postings"}
    assert "sum to 50" in response.get_json()["detail"]
    mismatched = {
        **unbalanced,
        "postings": [
            {"account": "expense:iv-1", "amount": 100},
            {"account": "bank:main", "amount": -100},
        ],
    }
    response = books.client.post("/transactions", json=mismatched, headers=auth("finance"))
    assert problem_fields(response) == {"lines"}
    missing = body("adjustment")
    assert problem_fields(
        books.client.post("/transactions", json=missing, headers=auth("finance"))
    ) == {"postings"}
    listed = books.client.get("/transactions", headers=auth("finance")).get_json()
    assert [t["kind"] for t in listed["items"]] == ["commitment"]  # nothing refused was posted
    refused = books.runtime.db[AUDIT].find_one({"outcome": "refused"})
    assert refused["action"] == "post_transaction" and "postings" in refused["detail"]["reason"]


def test_a_second_reversal_is_refused(books: LedgerStack, auth: Auth) -> None:
    txn = books.client.post(
        "/transactions", json=body("payment"), headers=auth("finance")
    ).get_json()
    undo = {"reverses": txn["transaction_id"], "description": "wrong amount"}
    assert books.client.post("/reversals", json=undo, headers=auth("finance")).status_code == 201
    again = books.client.post("/reversals", json=undo, headers=auth("finance"))
    assert again.status_code == 409
    assert problem_fields(again) == {"reverses"}
    ghost = books.client.post(
        "/reversals", json={**undo, "reverses": "nope"}, headers=auth("finance")
    )
    assert ghost.status_code == 404 and problem_fields(ghost) == {"reverses"}
    reconciled(books, auth)


def test_writes_need_finance_and_an_idempotency_key(books: LedgerStack, auth: Auth) -> None:
    for role in ("commissioner", "auditor", "admin"):
        response = books.client.post("/transactions", json=body("payment"), headers=auth(role))
        assert response.status_code == 403, role
    provider = books.client.post(
        "/accrual-runs",
        json={"period_start": JAN, "period_end": "2025-01-31"},
        headers=auth("provider", provider_id="prov-1"),
    )
    assert provider.status_code == 403
    keyless = {k: v for k, v in auth("finance").items() if k != "Idempotency-Key"}
    assert (
        books.client.post("/transactions", json=body("payment"), headers=keyless).status_code == 400
    )


def test_every_write_is_audited(books: LedgerStack, auth: Auth) -> None:
    txn = books.client.post(
        "/transactions", json=body("payment"), headers=auth("finance")
    ).get_json()
    books.client.post(
        "/reversals",
        json={"reverses": txn["transaction_id"], "description": "d"},
        headers=auth("finance"),
    )
    books.client.post(
        "/accrual-runs",
        json={"period_start": JAN, "period_end": "2025-01-31"},
        headers=auth("finance"),
    )
    records = list(books.runtime.db[AUDIT].find())
    assert [
        (r["action"], r["outcome"], r["actor"]) for r in sorted(records, key=lambda r: r["at"])
    ] == [
        ("post_transaction", "done", "user-finance"),
        ("reverse_transaction", "done", "user-finance"),
        ("run_accruals", "done", "user-finance"),
    ]


def test_reading_rules_by_role(books: LedgerStack, auth: Auth) -> None:
    def token(roles: list[str], provider_id: str) -> str:
        return mint_token(TEST_JWT, roles=roles, provider_id=provider_id, subject="two-hats")

    for iv, child in (("iv-1", "C001"), ("iv-2", "C777")):
        books.client.post(
            "/transactions",
            json=body("payment", intervention_id=iv, lines=[line(100, child)]),
            headers=auth("finance"),
        )
    client = books.client
    for role in ("finance", "auditor", "admin"):
        for path in (
            "/transactions",
            "/balances",
            "/reconciliation",
            "/spend",
            "/budgets",
            "/exports/transactions.csv",
            "/invoice-matches?intervention_id=iv-1",
        ):
            assert client.get(path, headers=auth(role)).status_code == 200, (role, path)
    commissioner = auth("commissioner")
    assert client.get("/spend?group_by=child", headers=commissioner).status_code == 200
    assert client.get("/budgets", headers=commissioner).status_code == 200
    assert client.get("/exports/spend.csv", headers=commissioner).status_code == 200
    for path in (
        "/transactions",
        "/balances",
        "/reconciliation",
        "/exports/transactions.csv",
        "/invoice-matches?intervention_id=iv-1",
    ):
        assert client.get(path, headers=commissioner).status_code == 403, path

    provider = auth("provider", provider_id="prov-2")
    listed = client.get("/transactions?provider_id=prov-1", headers=provider).get_json()
    assert {t["provider_id"] for t in listed["items"]} == {"prov-2"}
    assert listed["total"] == 1  # its payment only: iv-2 has no budget, so no commitment
    others = [
        t
        for t in client.get("/transactions", headers=auth("finance")).get_json()["items"]
        if t["provider_id"] == "prov-1"
    ]
    assert (
        client.get(f"/transactions/{others[0]['transaction_id']}", headers=provider).status_code
        == 404
    )
    by_child = client.get("/spend?basis=paid&group_by=child", headers=provider).get_json()
    assert by_child["rows"] == [{"key": "C777", "spend_pence": 100}]
    about, csv_rows = csv_parts(
        client.get("/exports/transactions.csv", headers=provider).get_data(as_text=True)
    )
    assert about["Filters"] == "provider prov-2"
    assert {row["Provider id"] for row in csv_rows[:-1]} == {"prov-2"}
    for path in (
        "/balances",
        "/reconciliation",
        "/budgets",
        "/invoice-matches?intervention_id=iv-2",
    ):
        assert client.get(path, headers=provider).status_code == 403, path
    assert client.get("/transactions").status_code == 401
    both = {"Authorization": "Bearer " + token(["commissioner", "provider"], "prov-2")}
    assert {
        t["provider_id"] for t in client.get("/transactions", headers=both).get_json()["items"]
    } == {"prov-2"}


def test_accrual_runs_are_repeatable_and_feed_the_reports(books: LedgerStack, auth: Auth) -> None:
    run = {"period_start": JAN, "period_end": "2025-03-31"}
    first = books.client.post("/accrual-runs", json=run, headers=auth("finance"))
    assert first.status_code == 201
    assert first.get_json()["months"] == ["2025-01", "2025-02", "2025-03"]
    assert len(first.get_json()["posted"]) == 6
    again = books.client.post("/accrual-runs", json=run, headers=auth("finance"))
    assert again.get_json()["posted"] == []
    bad = books.client.post(
        "/accrual-runs", json={**run, "period_end": "2025-03-30"}, headers=auth("finance")
    )
    assert bad.status_code == 422 and problem_fields(bad) == {"period_end"}

    spend = books.client.get(
        "/spend?basis=accrued&group_by=quarter", headers=auth("finance")
    ).get_json()
    assert spend.pop("generated_at") >= spend.pop("as_at")
    # iv-1: 6 Jan - 31 Mar (85 days) and iv-2: 1 Jan - 31 Mar (90 days), both at 100/week
    assert spend == {
        "basis": "accrued",
        "group_by": "quarter",
        "total_pence": 121_429 + 128_571,
        "rows": [{"key": "2024-25 Q4", "spend_pence": 250_000}],
        "spend_recorded_on_basis": True,
        "notice": None,
    }
    budgets = books.client.get("/budgets?basis=accrued", headers=auth("commissioner")).get_json()
    iv1 = budgets["interventions"][0]
    assert (iv1["budget_pence"], iv1["actual_pence"], iv1["remaining_pence"]) == (
        500_000,
        121_429,
        378_571,
    )
    assert iv1["outstanding_commitment_pence"] == 378_571
    balances = books.client.get(
        "/balances?as_of=2025-01-31&account=expense:iv-1", headers=auth("finance")
    ).get_json()
    assert balances["accounts"] == [{"account": "expense:iv-1", "balance_pence": 37_143}]
    assert balances["trial_balance_pence"] == 0

    books.client.post(
        "/transactions",
        json=body("invoice", lines=[line(40_000, start="2025-01-06", end="2025-02-02")]),
        headers=auth("finance"),
    )
    matches = books.client.get(
        "/invoice-matches?intervention_id=iv-1&from=2025-01-01&to=2025-01-31",
        headers=auth("finance"),
    ).get_json()
    assert matches["matches"] == [
        {
            "child_ref": "C001",
            "month": "2025-01",
            "accrued_pence": 37_143,
            "invoiced_pence": 37_143,
            "difference_pence": 0,
        }
    ]
    whole = books.client.get(
        "/invoice-matches?intervention_id=iv-1", headers=auth("finance")
    ).get_json()
    assert whole["difference_pence"] == 40_000 - 121_429


def test_spend_reads_the_shared_default_basis_and_says_when_nothing_is_recorded(
    books: LedgerStack, auth: Auth
) -> None:
    books.client.post("/transactions", json=body("invoice"), headers=auth("finance"))

    default = books.client.get("/spend", headers=auth("finance")).get_json()
    # the value service reads the same basis when not told (tests/value/test_api_integration.py)
    assert (default["basis"], default["total_pence"]) == ("invoiced", 31_000 + 9_000)
    assert (default["spend_recorded_on_basis"], default["notice"]) == (True, None)

    accrued = books.client.get("/spend?basis=accrued", headers=auth("finance")).get_json()
    assert (accrued["total_pence"], accrued["rows"]) == (0, [])
    assert accrued["spend_recorded_on_basis"] is False
    assert accrued["notice"].startswith("No spend is recorded on the accrued basis")


def test_csv_exports_give_exact_pounds(books: LedgerStack, auth: Auth) -> None:
    books.client.post(
        "/transactions",
        json=body("payment", lines=[line("0.07"), line(-2, "C002")]),
        headers=auth("finance"),
    )
    text = books.client.get("/exports/transactions.csv?kind=payment", headers=auth("finance"))
    assert text.mimetype == "text/csv"
    _, rows = csv_parts(text.get_data(as_text=True))
    assert [(r["Account"], r["Amount (£)"]) for r in rows] == [
        ("payable:prov-1", "0.05"),
        ("bank:main", "-0.05"),
        ("", "0.00"),
    ]
    assert rows[-1]["Transaction id"] == "Total"
    spend = books.client.get(
        "/exports/spend.csv?basis=committed&group_by=financial_year", headers=auth("finance")
    )
    about, rows = csv_parts(spend.get_data(as_text=True))
    assert about["Cost basis"] == "committed" and about["Grouping"] == "by financial year"
    assert [(r["Financial year"], r["Spend (£)"]) for r in rows] == [
        ("2024-25", "1232.88"),
        ("2025-26", "3767.12"),
        ("Total", "5000.00"),
    ]


def test_exports_print_names_beside_ids(stack: LedgerStack, auth: Auth) -> None:
    learnt = CommissioningHandlers(stack.ledger)
    learnt.apply_batch(
        [
            provider_event("prov-1", "Oak Fostering"),
            provider_event("prov-1", "Oak Fostering Ltd", version=2),
            intervention_event(intervention(budget_pence=0)),
        ]
    )
    learnt.apply(provider_event("prov-1", "Oak Fostering"))  # redelivered late: still Ltd
    posted = stack.client.post(
        "/transactions", json=body("payment", lines=[line(100)]), headers=auth("finance")
    )
    assert posted.status_code == 201
    download = stack.client.get("/exports/transactions.csv", headers=auth("finance"))
    about, rows = csv_parts(download.get_data(as_text=True))
    assert about["Report"] == "Ledger transactions, one row per posting"
    assert about["As at"] == download.headers["Acorn-As-At"]
    assert {(r["Intervention"], r["Provider"]) for r in rows[:-1]} == {
        ("Intervention iv-1", "Oak Fostering Ltd")
    }
    spend = stack.client.get(
        "/exports/spend.csv",
        query_string={"basis": "paid", "group_by": "provider", "provider_id": "prov-1"},
        headers=auth("finance"),
    )
    assert spend.headers["Content-Disposition"].startswith(
        'attachment; filename="spend_paid_by-provider_provider-prov-1_as-at-'
    )
    _, rows = csv_parts(spend.get_data(as_text=True))
    assert rows == [
        {"Provider id": "prov-1", "Provider": "Oak Fostering Ltd", "Spend (£)": "1.00"},
        {"Provider id": "Total", "Provider": "", "Spend (£)": "1.00"},
    ]


def test_the_api_describes_itself(stack: LedgerStack) -> None:
    spec = stack.client.get("/openapi.json").get_json()
    assert {"/transactions", "/reversals", "/accrual-runs", "/reconciliation", "/spend"} <= set(
        spec["paths"]
    )
    parameters = spec["paths"]["/transactions"]["post"]["parameters"]
    assert "Idempotency-Key" in {p["name"] for p in parameters}
