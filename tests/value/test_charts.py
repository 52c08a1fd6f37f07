"""Charts for a paper to members, read back from their SVG: words are text, in the reader's
language, axes in pounds, the turn-the-curve chart's `since`, starts, band and warning shown, and
cost per outcome as horizontal bars on two panels with suppressed rows noted."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest

from services.value.adapters import charts
from services.value.service_layer import curves
from services.value.service_layer.reports import ReportQuery, build_cost_per_outcome
from tests.value.builders import FY2024, d, mixed_council
from tests.value.fakes import FakeReadModel

SVG = "{http://www.w3.org/2000/svg}"
ROTATION = re.compile(r"rotate\((?P<angle>-?[\d.]+) (?P<x>[\d.]+) (?P<y>[\d.]+)\)")
POUND_TICK = re.compile(r"^-?£\d+(\.\d)?[km]?$")


def texts(svg: bytes) -> list[ElementTree.Element]:
    return [e for e in ElementTree.fromstring(svg).iter(f"{SVG}text")]


def words(svg: bytes) -> list[str]:
    return ["".join(e.itertext()).strip() for e in texts(svg)]


def curve_report(since: str = "2024-11-01") -> dict[str, Any]:
    query = ReportQuery(period=FY2024, suppression_threshold=0)
    return curves.build_turn_the_curve(
        FakeReadModel({"invoiced": mixed_council()}),
        query,
        indicator="missing_episodes",
        since=d(since),
        cohort="all",
    )


def test_the_curve_speaks_names_pounds_and_direction() -> None:
    svg = charts.turn_the_curve_chart(curve_report(), "svg")
    shown = words(svg)
    assert "Turning the curve: Missing_Episodes, all children" in shown
    assert "Missing_Episodes (lower is better)" in shown
    assert "missing_episodes" not in " ".join(shown)  # the code is nowhere
    assert any(POUND_TICK.match(w) for w in shown), shown
    assert "forecast from 1 Nov 2024" in shown


def test_the_curve_lists_the_interventions_that_began_and_warns_of_a_short_fit() -> None:
    shown = " ".join(words(charts.turn_the_curve_chart(curve_report(), "svg")))
    assert "1. Intervention B, 2024-09-02" in shown  # B targets missing episodes; A does not
    assert "Intervention A" not in shown
    assert "fitted on 1 month before 2024-11-01 (fewer than 6)" in shown
    assert "likely range" not in shown  # one month: no spread to draw


def curve_with(actuals: list[str | None], since_month: int) -> dict[str, Any]:
    """A turn-the-curve report of 12 months: a forecast line 50 + month from `since_month`."""
    months = [f"2024-{m:02d}" if m <= 12 else f"2025-{m - 12:02d}" for m in range(4, 16)]
    return {
        "indicator": "attendance",
        "indicator_name": "School attendance",
        "direction": "higher_is_better",
        "cohort": "all",
        "since": f"{months[since_month]}-01",
        "markers": [],
        "months": [
            {
                "month": month,
                "actual": actual,
                "forecast": f"{50 + n}.00" if n >= since_month else None,
                "spend_pence": 14_000_000,
                "children": 30,
            }
            for n, (month, actual) in enumerate(zip(months, actuals, strict=True))
        ],
    }


def test_the_forecast_band_is_the_spread_of_the_months_it_was_fitted_on() -> None:
    report = curve_with(["51", "50", "53", "52", "55", "54", *[None] * 6], since_month=6)
    band = charts.forecast_band(report)
    # the line 50 + n misses them by +1, -1, +1, -1, +1, -1: 6 residuals of 1 on 4 degrees
    assert band.months_fitted == 6
    assert band.half_width == pytest.approx(2 * (6 / 4) ** 0.5)
    shown = " ".join(words(charts.turn_the_curve_chart(report, "svg")))
    assert "forecast's likely range" in shown and "Warning" not in shown
    assert "£140k" in shown  # £140,000 a month on the spend axis


def test_a_forecast_on_fewer_than_six_months_is_warned_of_even_with_a_band() -> None:
    report = curve_with(["51", "50", "53", "52", *[None] * 8], since_month=4)
    shown = " ".join(words(charts.turn_the_curve_chart(report, "svg")))
    assert "forecast's likely range" in shown
    assert "fitted on 4 months before 2024-08-01 (fewer than 6)" in shown


@pytest.mark.parametrize(
    ("pounds", "tick"),
    [(140_000, "£140k"), (1_250_000, "£1.2m"), (950, "£950"), (0, "£0"), (-2_500, "-£2.5k")],
)
def test_pound_ticks(pounds: float, tick: str) -> None:
    assert charts.pounds_short(pounds) == tick


def cost_chart(threshold: int) -> tuple[dict[str, Any], bytes]:
    query = ReportQuery(period=FY2024, suppression_threshold=threshold)
    report = build_cost_per_outcome(FakeReadModel({"invoiced": mixed_council()}), query)
    return report, charts.cost_per_outcome_chart(report, "svg")


def test_cost_per_outcome_is_horizontal_bars_on_two_panels() -> None:
    report, svg = cost_chart(threshold=0)
    shown = words(svg)
    assert {"Spend", "Cost per better-off outcome"} <= set(shown)
    names = [e for e in texts(svg) if "".join(e.itertext()).strip().startswith("Intervention ")]
    assert len(names) == len(report["rows"])
    # the names read across, one under another down the side, the first group at the top
    turns = [ROTATION.match(e.get("transform") or "rotate(0 0 0)") for e in names]
    assert all(t is not None and float(t["angle"]) == 0 for t in turns)
    assert len({t["x"] for t in turns if t}) == 1
    downward = [float(t["y"]) for t in turns if t]
    assert downward == sorted(downward)
    assert sum(bool(POUND_TICK.match(w)) for w in shown) >= 4  # both panels' axes
    assert "no better-off outcomes" in shown  # D: nobody enrolled


def test_suppressed_rows_are_noted() -> None:
    report, svg = cost_chart(threshold=5)
    assert any(r["cost_per_better_off"] == "suppressed" for r in report["rows"])
    shown = " ".join(words(svg))
    assert "suppressed (small numbers)" in shown
    assert "fewer than 5 better-off children" in shown


def test_png_still_renders() -> None:
    assert charts.cost_per_outcome_chart(cost_chart(threshold=0)[0], "png").startswith(b"\x89PNG")
