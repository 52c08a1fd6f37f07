"""The SSDA903 import's rules, one at a time, without I/O."""

from __future__ import annotations

from datetime import date

import pytest

from services.imports.domain.age_bands import age_band, age_on
from services.imports.domain.episodes import Episode, Stay, overlapping, stays
from services.imports.domain.outcomes import (
    Reading,
    readings,
    return_year_of,
    source_system,
    unmatched_columns,
    year_end,
)
from services.imports.domain.placements import category_of, title_of
from services.imports.domain.plan import Held, HeldEnrolment, HeldReading, plan
from services.imports.domain.pseudonyms import PseudonymKeyError, check_key, child_ref

KEY = "a-council-secret-of-at-least-32-characters"


def episode(start: str, ceased: str | None, place: str = "U4", provider: str = "PR1", *,
            child: str = "c1", line: int = 2, ending: str = "X1") -> Episode:  # fmt: skip
    return Episode(
        child, date.fromisoformat(start), date.fromisoformat(ceased) if ceased else None,
        place, provider, ending if ceased else "", line,
    )  # fmt: skip


def test_a_pseudonym_is_stable_keyed_and_a_valid_child_ref() -> None:
    ref = child_ref(KEY, "566910")
    assert ref == child_ref(KEY, "566910")
    assert ref != child_ref(KEY, "566911")
    assert ref != child_ref(KEY + "x", "566910")
    assert "566910" not in ref and ref[0].isalpha() and len(ref) == 33


def test_a_short_pseudonym_key_is_refused() -> None:
    with pytest.raises(PseudonymKeyError):
        check_key("short")
    check_key(KEY)


@pytest.mark.parametrize(
    ("born", "day", "band"),
    [
        ("2020-05-01", "2020-06-01", "under 1"),
        ("2020-05-01", "2021-05-01", "1 to 4"),
        ("2015-05-02", "2020-05-01", "1 to 4"),
        ("2015-05-01", "2020-05-01", "5 to 9"),
        ("2005-01-01", "2016-01-01", "10 to 15"),
        ("2000-01-01", "2017-01-01", "16 and over"),
    ],
)
def test_age_bands_at_a_day(born: str, day: str, band: str) -> None:
    assert age_band(date.fromisoformat(born), date.fromisoformat(day)) == band


def test_a_leap_day_child_is_a_year_older_on_the_first_of_march() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2009, 2, 28)) == 0
    assert age_on(born, date(2009, 3, 1)) == 1
    with pytest.raises(ValueError):
        age_band(born, date(2008, 1, 1))


@pytest.mark.parametrize(
    ("place", "provider", "category"),
    [
        ("U4", "PR1", "in_house_fostering"),
        ("U1", "PR4", "independent_fostering"),
        ("K2", "PR4", "residential_care"),
        ("H5", "PR5", "supported_accommodation"),
        ("P1", "PR0", "placed_with_parents"),
        ("A5", "PR1", "other"),
        ("Z1", "", "other"),
    ],
)
def test_placement_types_become_categories(place: str, provider: str, category: str) -> None:
    assert category_of(place, provider) == category


def test_a_title_names_the_placement_and_the_provider_in_words() -> None:
    title = title_of("K2", "PR4")
    assert title == "Children's home (Private provision)"
    assert "K2" not in title and "PR4" not in title


def test_consecutive_episodes_in_one_placement_are_one_stay_ending_the_day_before() -> None:
    found = stays(
        [
            episode("2017-01-10", "2017-05-01", line=2),
            episode("2017-05-01", "2017-09-01", line=3, ending="E4A"),  # legal status changed
            episode("2017-09-01", None, "K2", "PR4", line=4),
        ]
    )
    assert found == [
        Stay("c1", "U4", "PR1", date(2017, 1, 10), date(2017, 8, 31),
             "returned home as part of the care plan", (2, 3)),
        Stay("c1", "K2", "PR4", date(2017, 9, 1), None, None, (4,)),
    ]  # fmt: skip


def test_a_gap_or_another_provider_starts_a_new_stay() -> None:
    found = stays(
        [
            episode("2017-01-10", "2017-05-01"),
            episode("2017-06-01", "2017-07-01"),  # a gap: left care and came back
            episode("2017-07-01", "2017-08-01", provider="PR4"),
        ]
    )
    assert [s.start for s in found] == [date(2017, 1, 10), date(2017, 6, 1), date(2017, 7, 1)]


def test_a_one_day_episode_lasts_its_day() -> None:
    [stay] = stays([episode("2017-01-10", "2017-01-10")])
    assert stay.last_day == date(2017, 1, 10)


def test_an_episode_starting_before_the_previous_ended_overlaps_it() -> None:
    first = episode("2017-01-10", "2017-05-01", line=2)
    early = episode("2017-04-01", "2017-06-01", line=3)
    after_open = episode("2017-08-01", None, line=4)
    later = episode("2017-09-01", None, line=5)
    assert overlapping([first, early]) == [(early, first)]
    assert overlapping([first, after_open, later]) == [(later, after_open)]
    assert overlapping([first, episode("2017-05-01", None, line=3)]) == []


def test_oc2_readings_for_the_indicators_the_framework_has() -> None:
    values = {"SDQ_SCORE": 17, "HEALTH_CHECK": 1, "SUBSTANCE_MISUSE": 0, "CONVICTED": None}
    framework = {"sdq_total_difficulties", "health_assessment_up_to_date", "offended_12m"}
    found = readings("c1", values, observed_on=date(2018, 3, 31), indicators=framework)
    assert found == [
        Reading("c1", "sdq_total_difficulties", 17, date(2018, 3, 31)),
        Reading("c1", "health_assessment_up_to_date", 1, date(2018, 3, 31)),
    ]
    assert "SUBSTANCE_MISUSE" in unmatched_columns(framework)


def test_the_return_year_ends_on_the_31_march_after_its_latest_episode() -> None:
    assert return_year_of([date(2017, 4, 2), date(2018, 3, 31)]) == 2018
    assert return_year_of([date(2017, 4, 1)]) == 2018
    assert return_year_of([date(2017, 3, 31)]) == 2017
    assert year_end(2018) == date(2018, 3, 31)
    assert source_system(2018) == "SSDA903 return 2017-18"


def test_a_plan_writes_what_is_missing_ends_what_closed_and_reports_what_it_cannot() -> None:
    open_stay = Stay("c1", "U4", "PR1", date(2017, 1, 1), None, None, (2,))
    closed = Stay("c2", "U4", "PR1", date(2017, 1, 1), date(2017, 6, 30), "died", (3,))
    moved = Stay("c3", "U4", "PR1", date(2017, 1, 1), date(2017, 7, 30), "died", (4,))
    fresh = Stay("c4", "K2", "PR4", date(2017, 2, 1), None, None, (5,))
    title = title_of("U4", "PR1")
    held = Held(
        providers={"The council's own provision": "p1"},
        interventions={title: "i1"},
        enrolments={
            ("i1", "c1", date(2017, 1, 1)): HeldEnrolment("e1", None, 1),
            ("i1", "c2", date(2017, 1, 1)): HeldEnrolment("e2", None, 1),
            ("i1", "c3", date(2017, 1, 1)): HeldEnrolment("e3", date(2017, 6, 30), 2),
        },
        readings={("c1", "offended_12m", date(2018, 3, 31)): HeldReading("o1", 1.0)},
    )
    same = Reading("c1", "offended_12m", 1, date(2018, 3, 31))
    new = Reading("c2", "offended_12m", 0, date(2018, 3, 31))
    result = plan([open_stay, closed, moved, fresh], [same, new], held)
    assert result.providers == ["PR4"]
    assert result.interventions == [("K2", "PR4")]
    assert result.enrol == [fresh]
    assert result.end == [(HeldEnrolment("e2", None, 1), closed)]
    assert [stay for stay, _ in result.conflicts] == [moved]
    assert result.unchanged_stays == 1
    assert (result.record, result.unchanged_readings) == ([new], 1)
    corrected = Reading("c1", "offended_12m", 0, date(2018, 3, 31))
    assert plan([], [corrected], held).correct == [(HeldReading("o1", 1.0), corrected)]


def test_a_plan_against_everything_held_writes_nothing() -> None:
    stay = Stay("c1", "U4", "PR1", date(2017, 1, 1), None, None, (2,))
    held = Held(
        providers={"The council's own provision": "p1"},
        interventions={title_of("U4", "PR1"): "i1"},
        enrolments={("i1", "c1", date(2017, 1, 1)): HeldEnrolment("e1", None, 1)},
    )
    assert plan([stay], [], held).writes_nothing
