"""`find_by_ids`: many documents by `_id` in index-sized pieces, and no query for no ids."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.database import Database

from shared import mongo


def test_finds_every_listed_id_across_pieces_and_skips_missing_ones(
    db: Database[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db.things.insert_many([{"_id": f"t{n:02d}"} for n in range(25)])
    monkeypatch.setattr(mongo, "MAX_IDS_PER_QUERY", 10)
    wanted = [f"t{n:02d}" for n in range(0, 25, 2)] + ["absent"]
    found = sorted(doc["_id"] for doc in mongo.find_by_ids(db.things, wanted))
    assert found == [f"t{n:02d}" for n in range(0, 25, 2)]


class Untouchable:
    def find(self, *args: object) -> None:
        raise AssertionError("an empty $in would scan the whole collection")


def test_no_ids_sends_no_query() -> None:
    assert list(mongo.find_by_ids(Untouchable(), [])) == []  # type: ignore[arg-type]
