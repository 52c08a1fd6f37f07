"""Observations from a spreadsheet: `/observations/upload` and `/observations/template`.

For providers whose records are spreadsheets, not programs: the template (CSV, or XLSX with the
indicators, their units and ranges on a second sheet: for a provider, those its interventions
target; for the council, the whole active framework) is filled in and uploaded as it is
(`Content-Type: text/csv` or the XLSX media type, the file as the body). Each row is checked
and recorded exactly as a row of the batch endpoint, with the same limit of rows; the answer
gives each row's result by its line in the sheet, or, with `?format=csv`, the refused rows with
their reasons as a file to correct and upload again (or both: `refused_file=true` adds that
file's text to the JSON answer, for a web page that shows the results and offers the file). A
row repeating an earlier one exactly is recorded once.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.outcomes.adapters import spreadsheets
from services.outcomes.entrypoints.schemas import RowResultSchema
from services.outcomes.entrypoints.views import outcomes
from services.outcomes.entrypoints.views.observations import AUTHORS, READERS, errors_of, parse_row
from services.outcomes.service_layer import observations as handlers
from services.outcomes.service_layer.commands import RecordObservations
from services.outcomes.service_layer.errors import Invalid
from services.outcomes.service_layer.indicators import list_indicators
from shared.http.blueprint import Blueprint
from shared.http.idempotency import idempotent
from shared.http.openapi import file_response
from shared.http.security import require_role

blp = Blueprint("observation uploads", __name__, url_prefix="/", description=__doc__)
MEDIA_TYPES = {"csv": spreadsheets.CSV, "xlsx": spreadsheets.XLSX}


class UploadArgs(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv: answer with the refused rows and their reasons as a file"},
    )
    refused_file = fields.Boolean(
        load_default=False,
        metadata={"description": "json: add the refused rows' file as `refused_rows_csv` text"},
    )


class TemplateArgs(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(tuple(MEDIA_TYPES)))


class UploadRowSchema(RowResultSchema):
    line = fields.Integer(metadata={"description": "the row's line in the sheet (header: 1)"})


class UploadResultSchema(Schema):
    recorded = fields.Integer()
    refused = fields.Integer()
    duplicates = fields.Integer()
    results = fields.List(fields.Nested(UploadRowSchema))
    refused_rows_csv = fields.String(
        metadata={"description": "with `refused_file=true`: the refused rows as CSV text"}
    )


def _download(body: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, mimetype=media_type, headers=headers)


@blp.route("observations/upload")
class ObservationUpload(MethodView):
    @idempotent
    @blp.arguments(UploadArgs, location="query")
    @blp.response(200, UploadResultSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Upload a sheet of observations (CSV or XLSX, the file as the body)."""
        actor = require_role(*AUTHORS)
        ctx = outcomes()
        try:
            rows = spreadsheets.read_upload(request.get_data(), request.mimetype)
        except spreadsheets.SpreadsheetError as error:
            raise Invalid({"(file)": str(error)}) from error
        handlers.check_batch_size(len(rows), ctx=ctx)
        drafts = [parse_row(row) for _, row in rows]
        results = handlers.record_observations(RecordObservations(actor, drafts), ctx=ctx)
        refused = [r for r in results if r.status in (handlers.INVALID, handlers.FORBIDDEN)]
        lines = [
            (
                rows[r.index][0],
                rows[r.index][1],
                "; ".join(f"{f}: {why}" for f, why in r.errors.items()),
            )
            for r in refused
        ]
        if args["format"] == "csv":
            return _download(spreadsheets.refused_rows(lines), spreadsheets.CSV, "refused-rows.csv")
        answer = {
            "recorded": sum(1 for r in results if r.status == handlers.RECORDED),
            "refused": len(refused),
            "duplicates": sum(1 for r in results if r.status == handlers.DUPLICATE),
            "results": [
                {
                    "line": rows[r.index][0],
                    "index": r.index,
                    "status": r.status,
                    "observation_id": r.observation_id,
                    "errors": errors_of(r.errors),
                }
                for r in results
            ],
        }
        if args["refused_file"]:
            answer["refused_rows_csv"] = spreadsheets.refused_rows(lines).decode()
        return answer


@blp.route("observations/template")
class ObservationTemplate(MethodView):
    @blp.arguments(TemplateArgs, location="query")
    @blp.doc(responses=file_response("the template to fill in", *MEDIA_TYPES.values()))
    def get(self, args: dict[str, Any]) -> Response:
        """The sheet to fill in: the columns, and (XLSX) the indicators with units and ranges: a
        provider's are those its interventions target."""
        caller = require_role(*READERS)
        ctx = outcomes()
        media_type = MEDIA_TYPES[args["format"]]
        active = list_indicators(ctx, status="active")
        if caller.is_provider_only:
            targets = ctx.interventions.target_indicators(caller.provider_id or "")
            active = [i for i in active if i.code in targets]
        indicators = [
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "min_value": i.min_value,
                "max_value": i.max_value,
                "direction": i.direction,
            }
            for i in active
        ]
        body = spreadsheets.template(indicators, media_type)
        return _download(body, media_type, f"observations-template.{args['format']}")
