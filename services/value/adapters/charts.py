"""Charts as PNG or SVG that a finance officer can put in a paper for members (matplotlib, Agg
backend: no display, safe in a server).

They speak the reader's language: indicator and intervention names, not codes; which way is
better on the axis; money as £140k; the turn-the-curve `since` date and the interventions that
began marked; the forecast's likely range drawn, and a warning when it was fitted on too few
months to trust. SVG keeps its words as text (searchable, selectable, readable by a screen
reader), not as drawn outlines.

matplotlib is imported with the first chart, not with the service: it adds ~35 MB to a
process, and most report processes never draw.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.value.domain.presentation import NO_SPEND, SUPPRESSED

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
# fewer months than this before `since`, and a straight line through them says little
FEW_MONTHS = 6
# the band drawn either side of the forecast: about 95% of months would fall inside it if the
# months before `since` scatter about their line as they did
BAND_ERRORS = 2
# interventions that began, listed under the turn-the-curve chart by name; the rest are counted
LISTED_STARTS = 8
NOTE_LINE = 0.2  # inches a line of notes under a chart takes
SPEND_COLOUR, LINE_COLOUR, FORECAST_COLOUR = "#dedede", "#1d70b8", "#f47738"
DIRECTIONS = {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _render(figure: Figure, fmt: str) -> bytes:
    import matplotlib

    out = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # words stay <text>, not paths
        figure.savefig(out, format=fmt, bbox_inches="tight")
    return out.getvalue()


def _number(text: Any) -> float:
    # charts are pictures: plotting is the one place an exact figure may become a float;
    # a missing or suppressed value is a gap in the line
    return math.nan if text in (None, SUPPRESSED) else float(Decimal(str(text)))


def pounds_short(value: float) -> str:
    """An axis tick in pounds as a paper prints it: £140k, £1.2m, £950."""
    sign, size = ("-" if value < 0 else ""), abs(value)
    for divisor, suffix in ((1_000_000, "m"), (1_000, "k")):
        if size >= divisor:
            scaled = size / divisor
            shown = f"{scaled:.1f}".removesuffix(".0") if scaled < 10 else f"{scaled:.0f}"
            return f"{sign}£{shown}{suffix}"
    return f"{sign}£{size:.0f}"


def _pounds_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: pounds_short(value)))


def _month_words(month: str) -> str:
    return date.fromisoformat(f"{month}-01").strftime("%b %Y")


@dataclass(frozen=True)
class ForecastBand:
    months_fitted: int
    half_width: float | None  # None: too few months to say how far the months stray


def forecast_band(report: dict[str, Any]) -> ForecastBand:
    """How many months the forecast was fitted on, and how far the months before `since` stray
    from its line (`BAND_ERRORS` standard errors of the fit), from the report alone: the line
    is extended back from the forecast's months, and the months it was fitted on are those
    before `since` with a value (a suppressed one had a value too, but it cannot be shown)."""
    cut = report["since"][:7]
    months = report["months"]
    fitted = [n for n, m in enumerate(months) if m["month"] < cut and m["actual"] is not None]
    forecast = [
        (n, _number(m["forecast"])) for n, m in enumerate(months) if m["forecast"] is not None
    ]
    visible = [(n, _number(months[n]["actual"])) for n in fitted]
    visible = [(n, value) for n, value in visible if not math.isnan(value)]
    if len(forecast) < 2 or len(visible) < 3:
        return ForecastBand(len(fitted), None)
    (first, at_first), (second, at_second) = forecast[:2]
    slope = (at_second - at_first) / (second - first)
    residuals = [value - (at_first + slope * (n - first)) for n, value in visible]
    spread = math.sqrt(sum(r * r for r in residuals) / (len(residuals) - 2))
    return ForecastBand(len(fitted), BAND_ERRORS * spread)


def turn_the_curve_chart(report: dict[str, Any], fmt: str) -> bytes:
    months = [m["month"] for m in report["months"]]
    positions = list(range(len(months)))
    band = forecast_band(report)
    began = [m for m in report["markers"] if m["began"][:7] in months]
    notes = [*_fit_warning(report, band), *_starts_listed(began)]
    figure = _figure(10, 6 + NOTE_LINE * len(notes))
    if notes:  # a panel of their own under the months
        axes, notes_axes = figure.subplots(2, 1, height_ratios=[6, NOTE_LINE * len(notes)])
        notes_axes.axis("off")
        notes_axes.text(0, 1, "\n".join(notes), va="top", ha="left", fontsize=9)
    else:
        axes = figure.add_subplot()
    spend_axes = axes.twinx()
    spend_axes.bar(
        positions,
        [(m["spend_pence"] or 0) / 100 for m in report["months"]],
        color=SPEND_COLOUR,
        label="spend in the month on interventions targeting it",
    )
    spend_axes.set_ylabel("spend in the month")
    _pounds_axis(spend_axes.yaxis)
    axes.set_zorder(spend_axes.get_zorder() + 1)
    axes.patch.set_visible(False)
    axes.plot(
        positions,
        [_number(m["actual"]) for m in report["months"]],
        marker="o",
        color=LINE_COLOUR,
        label="actual",
    )
    forecast = [_number(m["forecast"]) for m in report["months"]]
    axes.plot(positions, forecast, linestyle="--", color=FORECAST_COLOUR, label="baseline forecast")
    if band.half_width is not None:
        axes.fill_between(
            positions,
            [f - band.half_width for f in forecast],
            [f + band.half_width for f in forecast],
            color=FORECAST_COLOUR,
            alpha=0.15,
            label="forecast's likely range",
        )
    _mark_since(axes, report, months)
    _mark_starts(axes, began, months)
    figure.suptitle(
        f"Turning the curve: {report['indicator_name']}, {_cohort_words(report['cohort'])}"
    )
    axes.set_xticks(positions, [_month_words(m) for m in months], rotation=45, ha="right")
    axes.set_ylabel(
        f"{report['indicator_name']} ({DIRECTIONS.get(report['direction'], report['direction'])})"
    )
    handles, labels = axes.get_legend_handles_labels()
    spend_handles, spend_labels = spend_axes.get_legend_handles_labels()
    figure.legend(
        handles + spend_handles,
        labels + spend_labels,
        loc="outside lower center",  # clear of the lines
        ncol=2,
        frameon=False,
    )
    return _render(figure, fmt)


def _day_words(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _cohort_words(cohort: str) -> str:
    return "all children" if cohort == "all" else f"children of {cohort} need"


def _mark_since(axes: Axes, report: dict[str, Any], months: list[str]) -> None:
    since = report["since"]
    if since[:7] not in months:
        return
    at = months.index(since[:7])
    axes.axvline(at - 0.5, color="black", linewidth=1)
    axes.annotate(
        f"forecast from {_day_words(date.fromisoformat(since))}",
        xy=(at - 0.5, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -12),
        textcoords="offset points",
        fontsize=9,
    )


def _mark_starts(axes: Axes, began: list[dict[str, Any]], months: list[str]) -> None:
    """A dotted line where each intervention began, the first few numbered as listed."""
    for number, marker in enumerate(began, start=1):
        at = months.index(marker["began"][:7])
        axes.axvline(at, color="#00703c", linestyle=":", linewidth=1)
        if number <= LISTED_STARTS:
            axes.annotate(
                str(number),
                xy=(at, 0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=8,
                color="#00703c",
            )


def _starts_listed(began: list[dict[str, Any]]) -> list[str]:
    """The interventions that began, by name (a county starts dozens in two years: the first
    few by name, the rest counted)."""
    if not began:
        return []
    lines = ["Interventions that began (dotted lines):"]
    lines += [
        f"{n}. {m.get('title') or m['intervention']}, {m['began']}"
        for n, m in enumerate(began[:LISTED_STARTS], start=1)
    ]
    if len(began) > LISTED_STARTS:
        lines.append(f"and {len(began) - LISTED_STARTS} more (listed in the report's markers)")
    return lines


def _fit_warning(report: dict[str, Any], band: ForecastBand) -> list[str]:
    if band.months_fitted >= FEW_MONTHS:
        return []
    return [
        f"Warning: the forecast is fitted on {band.months_fitted} "
        f"month{'' if band.months_fitted == 1 else 's'} before {report['since']} (fewer than "
        f"{FEW_MONTHS}): treat it as a rough guide.",
    ]


def _bar_note(row: dict[str, Any]) -> str | None:
    """Why a row has no cost-per-outcome bar, in words."""
    printed = row.get("cost_per_better_off")
    if printed == SUPPRESSED:
        return "suppressed (small numbers)"
    if printed == NO_SPEND:
        return "no spend on this basis"
    if row.get("cost_per_better_off_pence") is None:
        return "no better-off outcomes"
    return None


def cost_per_outcome_chart(report: dict[str, Any], fmt: str) -> bytes:
    """Horizontal bars, one per group, names readable down the side: spend on one panel, cost
    per better-off outcome on another (each on its own scale), and why a bar is missing."""
    rows = report["rows"]
    labels = [row["label"] for row in rows]
    positions = list(range(len(rows)))
    figure = _figure(11, max(3.0, 1.2 + 0.45 * len(rows)))
    spend_axes, cost_axes = figure.subplots(1, 2, sharey=True)
    spend_axes.barh(positions, [(r["spend_pence"] or 0) / 100 for r in rows], color=LINE_COLOUR)
    spend_axes.set_title("Spend")
    cost = [
        r["cost_per_better_off_pence"] / 100
        if isinstance(r["cost_per_better_off_pence"], int)
        else 0
        for r in rows
    ]
    cost_axes.barh(positions, cost, color=FORECAST_COLOUR)
    cost_axes.set_title("Cost per better-off outcome")
    for position, row in zip(positions, rows, strict=True):
        note = _bar_note(row)
        if note:
            cost_axes.annotate(
                note,
                xy=(0, position),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
                style="italic",
            )
    for axes in (spend_axes, cost_axes):
        _pounds_axis(axes.xaxis)
        axes.grid(axis="x", color="#dddddd")
        axes.set_axisbelow(True)
    spend_axes.set_yticks(positions, labels)
    spend_axes.invert_yaxis()  # the first group at the top, as in the table
    period = report["period"]
    figure.suptitle(
        f"Cost per better-off outcome by {report['group_by'].replace('_', ' ')}, "
        f"{period['from']} to {period['to']} ({report['basis']} basis)"
    )
    threshold = report["suppression_threshold"]
    if threshold and any(_bar_note(r) == "suppressed (small numbers)" for r in rows):
        figure.text(
            0.02,
            0,
            f"Suppressed: groups with fewer than {threshold} better-off children have no cost "
            "per outcome shown, so that no child can be identified.",
            va="top",
            fontsize=9,
        )
    return _render(figure, fmt)
