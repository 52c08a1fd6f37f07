"""Limits every request body meets before a view sees it.

A body larger than the service's `ACORN_MAX_BODY_BYTES` is refused with 413 before it is read
(Flask's `MAX_CONTENT_LENGTH`). A JSON body is parsed here once, strictly (orjson: no lone
surrogates, no NaN or infinities), and refused with 400 naming the place if it nests deeper than
`MAX_JSON_DEPTH` or holds a number no Acorn field could take. Each field then applies its own
limits (`shared.fields`). Together they keep every accepted write small enough to become events
the broker takes (docs/operations.md, "Limits at the API edge").
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from flask import request

from shared.http.problems import ProblemError

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 16
# Larger than any pence amount, count or reading Acorn accepts, and exact as a double.
MAX_JSON_NUMBER = 2**53
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_json_body() -> None:
    """Refuse a JSON body that cannot be valid for any Acorn endpoint (a `before_request` hook)."""
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        _name_the_fault(raw)  # raises naming the field where it can
        raise ProblemError(
            400,
            f"the body is not valid JSON: {error}",
            errors=[{"field": "(body)", "reason": f"not valid JSON: {error}"}],
        ) from None
    _check(document, path="", depth=1)


class _Oversized(int):
    """An integer literal too long to be any Acorn value, kept unread so its place can be named."""


def _bounded_int(literal: str) -> int:
    return _Oversized(0) if len(literal.lstrip("-")) > 16 else int(literal)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _name_the_fault(raw: bytes) -> None:
    """orjson refused the body; read it leniently to find and name the field at fault."""
    try:
        lenient = json.loads(raw, parse_int=_bounded_int, parse_constant=_refuse_constant)
    except RecursionError:
        raise _refused("", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        return  # not JSON at all: the caller says so
    _check(lenient, path="", depth=1)


def _check(value: Any, *, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise _refused(path, f"nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path=path)
            _check(item, path=f"{path}.{key}" if path else key, depth=depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, path=f"{path}.{index}" if path else str(index), depth=depth + 1)
    elif isinstance(value, str):
        _check_text(value, path=path)
    elif isinstance(value, _Oversized) or (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not abs(value) <= MAX_JSON_NUMBER  # also catches infinity
    ):
        raise _refused(path, f"is a number beyond ±2^53 ({MAX_JSON_NUMBER})")


def _check_text(text: str, *, path: str) -> None:
    if _SURROGATE.search(text):
        raise _refused(path, "is not valid Unicode text (it holds a lone surrogate)")


def _refused(path: str, reason: str) -> ProblemError:
    field = path or "(body)"
    return ProblemError(400, f"{field} {reason}", errors=[{"field": field, "reason": reason}])
