"""An `Export` as the CSV or XLSX attachment a browser saves under the export's own name."""

from __future__ import annotations

from flask import Response

from shared import exports

FORMATS = ("csv", "xlsx")


def attachment(
    export: exports.Export, fmt: str, *, headers: dict[str, str] | None = None
) -> Response:
    if fmt == "csv":
        body: str | bytes = exports.to_csv(export)
        mimetype = "text/csv"
    else:
        body = exports.to_xlsx(export)
        mimetype = exports.XLSX_TYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={
            **(headers or {}),
            "Content-Disposition": f'attachment; filename="{export.name}.{fmt}"',
        },
    )
