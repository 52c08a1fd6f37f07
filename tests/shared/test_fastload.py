"""The fast path may only ever vouch: whatever it accepts, marshmallow accepts as the same data.
Checked on a valid payload of every event type and an observation row as providers post it, and
on thousands of mutations of them."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from services.outcomes.entrypoints.schemas import ObservationInSchema
from shared.events.catalogue import ledger as ld
from shared.events.catalogue import outcomes as o
from shared.events.registry import PayloadError, _validator, known_event_types, validate_payload
from shared.fastload import Unsure, compile_schema
from tests.shared.payload_examples import EXAMPLES, OBSERVATION

TYPES = [type_ for type_, _ in known_event_types()]
OBSERVATION_ROW = {
    "child_ref": "C-0001",
    "indicator_code": "school_attendance",
    "value": 82.5,
    "observed_on": "2024-06-30",
    "intervention_id": "iv-1",
    "evidence_ref": "attendance register",
}
# (what, schema, a valid example): each event type as producers (strict) and consumers check it,
# and the outcomes API's batch row
CASES: list[tuple[str, Schema, dict[str, Any]]] = [
    *(
        (f"{type_} {'strict' if strict else 'lenient'}", _validator(type_, 1, strict), example)
        for type_, example in EXAMPLES.items()
        for strict in (True, False)
    ),
    ("observation row", ObservationInSchema(), OBSERVATION_ROW),
]

ODD_VALUES = [
    None,
    "",
    "x",
    "abc_1",
    "ABC",
    "active",
    "a" * 300,
    0,
    1,
    -1,
    26,
    2**70,
    True,
    False,
    1.5,
    -0.5,
    math.nan,
    math.inf,
    "12",
    "1.50",
    "2025-02-30",
    "2025-1-6",
    "2025-01-06",
    "2025-01-06T09:00:00",
    "2025-01-06T09:00:00+00:00",
    [],
    {},
    ["x"],
    [{}],
    {"behaviour": 4},
    {"pirate": 1},
]


def loaded_by_marshmallow(schema: Schema, data: Any) -> dict[str, Any] | None:
    try:
        return schema.load(data)
    except ValidationError:
        return None


def loaded_by_fast_path(schema: Schema, data: Any) -> dict[str, Any] | None:
    fast = compile_schema(schema)
    assert fast is not None
    try:
        return fast(data)
    except Unsure:
        return None


def same(left: Any, right: Any) -> bool:
    """Equal, counting NaN as equal to itself and telling booleans from numbers."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and left == right


def test_every_event_type_has_an_example_and_every_schema_a_fast_path() -> None:
    assert sorted(EXAMPLES) == sorted(TYPES)
    for what, schema, _ in CASES:
        assert compile_schema(schema) is not None, what


@pytest.mark.parametrize(("what", "schema", "example"), CASES, ids=[what for what, *_ in CASES])
def test_valid_payloads_are_vouched_for_as_marshmallow_loads_them(
    what: str, schema: Schema, example: dict[str, Any]
) -> None:
    """Otherwise the fast path would silently hand every payload to marshmallow again."""
    expected = loaded_by_marshmallow(schema, example)
    assert expected is not None
    assert same(loaded_by_fast_path(schema, example), expected)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a payload: dict keys and list positions, at any depth."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Schema, Any]:
    _, schema, example = draw(st.sampled_from(CASES))
    payload = copy.deepcopy(example)
    for _ in range(draw(st.integers(1, 3))):
        places = paths(payload)
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent = payload
        for step in parent_path:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add_key"]))
        if action == "replace":
            parent[last] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "add_key" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["pirate", "notes"]))] = "added"
    return schema, payload


@settings(max_examples=3000, deadline=None)
@given(case=mutated())
def test_whatever_the_fast_path_accepts_marshmallow_accepts_as_the_same_data(
    case: tuple[Schema, Any],
) -> None:
    schema, payload = case
    fast = loaded_by_fast_path(schema, payload)
    if fast is not None:
        expected = loaded_by_marshmallow(schema, payload)
        assert expected is not None, payload
        assert same(fast, expected)


def test_a_refused_payload_is_still_explained_field_by_field() -> None:
    bad = {**OBSERVATION, "value": "high", "observed_on": "2024-02-30"}
    with pytest.raises(PayloadError) as refused:
        validate_payload(o.OBSERVATION_RECORDED, 1, bad, strict=False)
    assert "value" in str(refused.value) and "observed_on" in str(refused.value)


def test_an_unbalanced_transaction_is_refused_by_its_schema_hook() -> None:
    unbalanced = copy.deepcopy(EXAMPLES[ld.TRANSACTION_POSTED])
    unbalanced["postings"][1]["amount_pence"] = -1
    assert loaded_by_fast_path(_validator(ld.TRANSACTION_POSTED, 1, False), unbalanced) is None
    with pytest.raises(PayloadError, match="postings must sum to zero"):
        validate_payload(ld.TRANSACTION_POSTED, 1, unbalanced, strict=False)


def test_what_is_not_modelled_is_left_to_marshmallow() -> None:
    class Stripped(o.AgeBand):
        min_age = fields.Integer(required=True, strict=True, pre_load=str.strip)

    class Shouting(fields.String):
        def deserialize(self, value: Any, attr: Any = None, data: Any = None, **kw: Any) -> Any:
            return super().deserialize(value, attr, data, **kw).upper()

    class Shouted(o.AgeBand):
        max_age = Shouting(required=True)

    assert compile_schema(Stripped()) is None
    assert compile_schema(Shouted()) is None


@pytest.mark.parametrize("scores", [{"pirate": 1}, {"behaviour": 4}, {"behaviour": "1"}, [], None])
def test_a_needs_assessment_s_scores_are_checked_key_by_key_and_value_by_value(
    scores: Any,
) -> None:
    schema, example = _validator(o.NEEDS_ASSESSED, 1, False), EXAMPLES[o.NEEDS_ASSESSED]
    assert same(loaded_by_fast_path(schema, example), loaded_by_marshmallow(schema, example))
    bad = {**example, "scores": scores}
    assert loaded_by_fast_path(schema, bad) is None
    with pytest.raises(PayloadError, match="scores"):
        validate_payload(o.NEEDS_ASSESSED, 1, bad, strict=False)
