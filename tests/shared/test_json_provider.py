"""Every service answers JSON through `OrjsonProvider`: it must write the document Flask's own
provider writes, only faster."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from shared.http.app import OrjsonProvider


@dataclass
class Row:
    group: str
    spend_pence: int


def test_orjson_writes_the_document_flasks_own_provider_writes() -> None:
    app = Flask(__name__)
    document = {
        "rows": [Row("K1", 12_345), Row("K2", 0)],
        "total": {"spend": "£1,234.56", "share": Decimal("0.250"), "better_off": None},
        "period": {
            "from": date(2024, 4, 1),
            "asked_at": datetime(2024, 4, 1, 9, tzinfo=UTC),
        },
        "id": uuid.UUID(int=7),
        "flags": (True, False),
    }
    ours, flasks = OrjsonProvider(app).dumps(document), DefaultJSONProvider(app).dumps(document)
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == sorted(document)  # keys sorted, as Flask sorts them


def test_a_response_is_json_in_utf_8() -> None:
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    with app.app_context():
        response = app.json.response({"spend": "£5.00"})
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data()) == {"spend": "£5.00"}
