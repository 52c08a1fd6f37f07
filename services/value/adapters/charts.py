"""Charts as PNG or SVG (matplotlib, Agg backend: no display, safe in a server).

matplotlib is imported with the first chart, not with the service: it adds ~35 MB to a
process, and most report processes never draw.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _render(figure: Figure, fmt: str) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format=fmt, bbox_inches="tight")
    return out.getvalue()


def _number(text: Any) -> float:
    # charts are pictures: plotting is the one place an exact figure may become a float;
    # a missing or suppressed value is a gap in the line
    return math.nan if text in (None, "suppressed") else float(Decimal(str(text)))


def turn_the_curve_chart(report: dict[str, Any], fmt: str) -> bytes:
    months = [m["month"] for m in report["months"]]
    figure = _figure(10, 5)
    axes = figure.add_subplot()
    spend_axes = axes.twinx()
    spend_axes.bar(
        months,
        [float(pence_or_zero(m["spend_pence"])) / 100 for m in report["months"]],
        color="#dddddd",
        label="spend per month (£)",
    )
    spend_axes.set_ylabel("spend (£)")
    axes.set_zorder(spend_axes.get_zorder() + 1)
    axes.patch.set_visible(False)
    axes.plot(months, [_number(m["actual"]) for m in report["months"]], marker="o", label="actual")
    axes.plot(
        months,
        [_number(m["forecast"]) for m in report["months"]],
        linestyle="--",
        label="baseline forecast",
    )
    # one legend entry for every start: a county starts dozens of interventions in two years, and
    # which ones is in the report's markers, not something a picture can list
    began = [marker["began"][:7] for marker in report["markers"] if marker["began"][:7] in months]
    for n, month in enumerate(began):
        axes.axvline(
            months.index(month),
            color="green",
            linestyle=":",
            label=f"an intervention began ({len(began)} in all)" if n == 0 else "_nolegend_",
        )
    axes.set_title(f"Turning the curve: {report['indicator_name']} ({report['cohort']})")
    axes.set_xlabel("month")
    axes.set_ylabel(report["indicator"])
    axes.tick_params(axis="x", labelrotation=45)
    handles, labels = axes.get_legend_handles_labels()
    spend_handles, spend_labels = spend_axes.get_legend_handles_labels()
    axes.legend(
        handles + spend_handles,
        labels + spend_labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),  # below the months, clear of the lines
        ncol=4,
        frameon=False,
    )
    return _render(figure, fmt)


def pence_or_zero(value: Any) -> int:
    return value if isinstance(value, int) else 0


def cost_per_outcome_chart(report: dict[str, Any], fmt: str) -> bytes:
    rows = report["rows"]
    labels = [row["label"] for row in rows]
    figure = _figure(10, 5)
    axes = figure.add_subplot()
    spend = [pence_or_zero(row["spend_pence"]) / 100 for row in rows]
    cost = [pence_or_zero(row["cost_per_better_off_pence"]) / 100 for row in rows]
    positions = range(len(rows))
    axes.bar([p - 0.2 for p in positions], spend, width=0.4, label="spend (£)")
    axes.bar([p + 0.2 for p in positions], cost, width=0.4, label="cost per better-off outcome (£)")
    axes.set_xticks(list(positions), labels, rotation=30, ha="right")
    axes.set_title(
        f"Cost per outcome by {report['group_by']}, {report['period']['from']} to "
        f"{report['period']['to']} ({report['basis']})"
    )
    axes.set_xlabel(report["group_by"])
    axes.set_ylabel("£")
    axes.legend()
    return _render(figure, fmt)
