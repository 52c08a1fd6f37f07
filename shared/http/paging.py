"""Paged lists: `?page=1&page_size=50`, answered with the items, the paging facts and links to
the next and previous pages (the same links in an RFC 8288 `Link` header)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, g, request
from marshmallow import Schema, fields, validate

MAX_PAGE_SIZE = 500
# Far past the last page of any list Acorn keeps, and small enough to become a database skip.
MAX_PAGE = 1_000_000


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """A response schema {items, page, page_size, total, next, previous} for `item_schema`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
            "total": fields.Integer(),
            "next": fields.String(
                allow_none=True, metadata={"description": "the next page's path, or null"}
            ),
            "previous": fields.String(
                allow_none=True, metadata={"description": "the previous page's path, or null"}
            ),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def paginate(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """One page of an already filtered and sorted list."""
    page, size = args["page"], args["page_size"]
    start = (page - 1) * size
    next_page = _page_path(page + 1) if start + size < len(items) else None
    previous_page = _page_path(min(page - 1, -(-len(items) // size))) if page > 1 else None
    links = [
        f'<{path}>; rel="{rel}"'
        for rel, path in (("next", next_page), ("prev", previous_page))
        if path
    ]
    if links:
        g.paging_links = ", ".join(links)
    return {
        "items": items[start : start + size],
        "page": page,
        "page_size": size,
        "total": len(items),
        "next": next_page,
        "previous": previous_page,
    }


def _page_path(page: int) -> str:
    """This request's path and query, on another page."""
    query = request.args.copy()
    query["page"] = str(max(page, 1))
    return f"{request.path}?{urlencode(list(query.items(multi=True)))}"


def add_paging_links(response: Response) -> Response:
    """An `after_request` hook: the page links `paginate` made, as a `Link` header."""
    links = g.pop("paging_links", None)
    if links:
        response.headers["Link"] = links
    return response
