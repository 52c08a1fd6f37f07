"""`find_by_ids`: many documents by `_id` in index-sized pieces, and no query for no ids.
`keep_latest`: the highest version of each key wins, within one call and against the store.
`packed_json`: a JSON text stored compressed comes back whole, and plain texts stored before it
still read."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pymongo.database import Database

from shared import mongo
from shared.mongo import packed_json, unpacked_json


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


def test_keep_latest_keeps_the_highest_version_of_each_key(db: Database[dict[str, Any]]) -> None:
    assert mongo.keep_latest(db.snapshots, [{"_id": "a", "version": 3, "v": "a3"}]) == 1
    stored = mongo.keep_latest(
        db.snapshots,
        [
            {"_id": "a", "version": 2, "v": "a2"},  # older than the stored one
            {"_id": "b", "version": 2, "v": "b2"},
            {"_id": "b", "version": 1, "v": "b1"},  # older than the one before it in the call
            {"_id": "a", "version": 4, "v": "a4"},
        ],
    )
    assert stored == 2
    assert mongo.keep_latest(db.snapshots, []) == 0
    assert {d["_id"]: d["v"] for d in db.snapshots.find()} == {"a": "a4", "b": "b2"}


def test_a_packed_json_text_is_stored_smaller_and_read_back_whole(
    db: Database[dict[str, Any]],
) -> None:
    note = 'quotes " and \\ slashes é'
    rows = [{"id": f"obs-{n}", "value": "12.5", "note": note} for n in range(500)]
    text = orjson.dumps(rows)
    db.chunks.insert_one({"_id": "c1", "rows": packed_json(text)})
    stored = db.chunks.find_one({"_id": "c1"})["rows"]
    assert len(stored) < len(text) / 4
    assert unpacked_json(stored) == rows


def test_a_plain_json_text_written_before_packing_still_reads() -> None:
    assert unpacked_json('[{"id": "obs-1"}]') == [{"id": "obs-1"}]
