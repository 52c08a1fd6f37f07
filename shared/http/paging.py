"""Paged lists: `?page=1&page_size=50`, answered with the items and the paging facts."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

MAX_PAGE_SIZE = 500
# Far past the last page of any list Acorn keeps, and small enough to become a database skip.
MAX_PAGE = 1_000_000


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """A response schema {items, page, page_size, total} for a list of `item_schema`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
            "total": fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def paginate(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """One page of an already filtered and sorted list."""
    start = (args["page"] - 1) * args["page_size"]
    return {
        "items": items[start : start + args["page_size"]],
        "page": args["page"],
        "page_size": args["page_size"],
        "total": len(items),
    }
