"""`./dev report` prints every name whole, wrapping a long one under itself."""

from __future__ import annotations

from dataclasses import replace

from services.value.cli import render
from services.value.service_layer.reports import ReportQuery, build_cost_per_outcome
from tests.value.builders import FY2024, worked_example
from tests.value.fakes import FakeReadModel

NAME_WIDTH = 28
LONG_NAMES = {
    "A": "Independent fostering placements, North (framework lot 2)",
    "B": "Independent fostering placements, South (framework lot 3)",
}


def test_long_names_wrap_instead_of_being_cut() -> None:
    facts = worked_example()
    for key, title in LONG_NAMES.items():
        facts.interventions[key] = replace(facts.interventions[key], title=title)
    query = ReportQuery(period=FY2024, suppression_threshold=0)
    printed = render(build_cost_per_outcome(FakeReadModel({"invoiced": facts}), query))
    lines = printed.splitlines()
    names = [text[:NAME_WIDTH].strip() for text in lines]
    for title in LONG_NAMES.values():
        first = next(n for n in range(len(lines)) if " ".join(names[n : n + 3]) == title)
        assert "£" in lines[first]  # the figures stay on the name's first line
        assert "£" not in lines[first + 1]
    assert all(len(text) <= len(lines[1]) + 1 for text in lines[1:-1])


def test_a_basis_with_nothing_recorded_is_said_under_the_table() -> None:
    model = FakeReadModel({"invoiced": worked_example()})
    query = ReportQuery(period=FY2024, suppression_threshold=0, basis="accrued")
    printed = render(build_cost_per_outcome(model, query)).splitlines()
    assert printed[-1].startswith("No spend is recorded on the accrued basis for this period")
