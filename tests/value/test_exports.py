"""Downloads keep money exact: Decimal pounds in CSV, numeric £ cells in XLSX; charts render."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from services.value.adapters import charts, exports
from services.value.service_layer.reports import ReportQuery, build_cost_per_outcome
from services.value.service_layer.tables import cost_per_outcome_table
from tests.value.builders import FY2024, worked_example
from tests.value.fakes import FakeReadModel


def report() -> dict:
    query = ReportQuery(period=FY2024, suppression_threshold=0)
    return build_cost_per_outcome(FakeReadModel({"invoiced": worked_example()}), query)


def test_csv_has_money_as_exact_pounds() -> None:
    text = exports.to_csv(cost_per_outcome_table(report()))
    header, a, _, total = text.splitlines()
    assert "spend (£)" in header.split(",") and "spend" not in header.split(",")
    assert a.startswith("A,Intervention A,1200.00,0.00,1,")
    assert total.split(",")[:3] == ["all", "All", "4800.00"]


def test_xlsx_money_cells_are_numbers_with_a_pound_format() -> None:
    workbook = load_workbook(
        io.BytesIO(exports.to_xlsx(cost_per_outcome_table(report()), title="cpo"))
    )
    sheet = workbook.active
    headers = [cell.value for cell in sheet[1]]
    spend = sheet.cell(row=2, column=headers.index("spend (£)") + 1)
    cost = sheet.cell(row=4, column=headers.index("cost_per_better_off (£)") + 1)
    assert spend.value == 1200 and spend.data_type == "n"
    assert spend.number_format == exports.POUNDS_FORMAT
    assert cost.value == 4800 and cost.data_type == "n"


def test_cost_per_outcome_chart_renders_png_and_svg() -> None:
    png = charts.cost_per_outcome_chart(report(), "png")
    svg = charts.cost_per_outcome_chart(report(), "svg").decode()
    assert png.startswith(b"\x89PNG")
    assert "<svg" in svg and "Cost per outcome by intervention" in svg
