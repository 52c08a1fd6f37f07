"""The `_id` filters Acorn relies on for bulk reads: right answers, and (on FerretDB as patched by
deploy/provision.py) answered through the `_id` index rather than by reading the collection."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

# Ids chosen to sit next to the range of the prefix "C1/" in both raw and JSON text order: the
# handler must still decide, for any row the index range returns, whether it really matches.
IDS = ["C1/a", "C1/b-2", "C1/", "C1", "C10/a", "C1/!", "C1 /a", "C1/\u00e9", 'C1/"q', "C0/z"]
IDS += ["D1/a"]


@pytest.fixture
def collection(db: Database[dict[str, Any]]) -> Any:
    collection = db["pushdown"]
    collection.insert_many([{"_id": value, "n": n} for n, value in enumerate(IDS)])
    collection.insert_many([{"_id": 7}, {"_id": {"nested": "C1/x"}}])
    return collection


def _ids(cursor: Any) -> list[Any]:
    return sorted((doc["_id"] for doc in cursor), key=repr)


def test_in_finds_exactly_the_listed_ids(collection: Any) -> None:
    wanted = ["C1/a", "D1/a", "missing", "C1/\u00e9"]
    assert _ids(collection.find({"_id": {"$in": wanted}})) == sorted(
        ["C1/a", "D1/a", "C1/\u00e9"], key=repr
    )
    assert _ids(collection.find({"_id": {"$in": ["C1/a", 7]}})) == sorted(["C1/a", 7], key=repr)


def test_delete_by_in_deletes_exactly_the_listed_ids(collection: Any) -> None:
    assert collection.delete_many({"_id": {"$in": ["C1/a", "C1/b-2", "nope"]}}).deleted_count == 2
    assert collection.count_documents({}) == len(IDS) + 2 - 2


def test_prefix_finds_exactly_the_strings_that_start_with_it(collection: Any) -> None:
    expected = sorted((value for value in IDS if value.startswith("C1/")), key=repr)
    assert _ids(collection.find({"_id": {"$regex": "^C1/"}})) == expected
    assert _ids(collection.find({"_id": {"$regex": "^C1"}})) == sorted(
        (value for value in IDS if value.startswith("C1")), key=repr
    )


def _is_ferretdb(db: Database[dict[str, Any]]) -> bool:
    return "ferretdbVersion" in db.command("buildInfo")


def test_an_id_condition_beside_others_still_answers_correctly(collection: Any) -> None:
    assert _ids(collection.find({"_id": "C1/a", "n": 0})) == ["C1/a"]
    assert _ids(collection.find({"_id": "C1/a", "n": {"$gt": 0}})) == []
    assert _ids(collection.find({"n": {"$lt": 3}, "_id": {"$in": ["C1/a", "C1/", "D1/a"]}})) == [
        "C1/",
        "C1/a",
    ]
    # a conditional upsert that does not match inserts, and collides on the taken `_id`
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"_id": "C1/a", "n": {"$gt": 0}}, {"$set": {"n": 9}}, upsert=True)
    assert collection.find_one({"_id": "C1/a"})["n"] == 0


@pytest.mark.parametrize(
    "id_filter",
    [
        {"_id": {"$in": ["C1/a", "D1/a"]}},
        {"_id": {"$regex": "^C1/"}},
        {"_id": "C1/a"},
        {"_id": "C1/a", "n": {"$lt": 3}},
    ],
    ids=["in", "prefix", "equality", "beside-others"],
)
def test_id_filters_use_the_id_index(
    collection: Any, db: Database[dict[str, Any]], id_filter: Any
) -> None:
    plan = collection.find(id_filter).explain()
    if _is_ferretdb(db):
        assert plan["filterPushdown"] is True
        assert any("USING INDEX" in step for step in plan["queryPlanner"]["Plan"])
    else:  # MongoDB, under testcontainers where a Docker engine exists
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"])


def test_other_filters_still_answer_correctly(collection: Any) -> None:
    assert _ids(collection.find({"n": {"$in": [0, 9]}})) == sorted(["C1/a", "C0/z"], key=repr)
