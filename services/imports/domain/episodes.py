"""Episodes of care into enrolments.

An SSDA903 episode starts (DECOM) whenever the placement or the legal status changes, and ends
(DEC) on the day the next one starts. Acorn's enrolment is a child's time on one intervention
(a placement type with one provider), so consecutive episodes in the same placement (a change of
legal status only) are one stay, and one enrolment. Acorn's dates include both ends: a stay's
last day is the day before the episode ended, which is the next stay's first day, so no day is
counted twice. An episode still open has no end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import attrgetter

from services.imports.domain.ssda903_codes import ENDINGS, UNRECORDED_ENDING


@dataclass(frozen=True)
class Episode:
    child_ref: str
    start: date
    ceased: date | None  # DEC: the day the episode ended
    placement: str  # PLACE
    provider: str  # PLACE_PROVIDER, "" when not recorded
    ending: str  # REC, "" while open
    line: int


@dataclass(frozen=True)
class Stay:
    """One enrolment: a child in one placement from `start` to `last_day` (None: still open)."""

    child_ref: str
    placement: str
    provider: str
    start: date
    last_day: date | None
    end_reason: str | None
    lines: tuple[int, ...]  # the episodes' lines in the return

    @property
    def intervention(self) -> tuple[str, str]:
        return (self.placement, self.provider)


def last_day(episode: Episode) -> date | None:
    if episode.ceased is None:
        return None
    return max(episode.start, episode.ceased - timedelta(days=1))


def _continues(stay: Stay, episode: Episode, ceased: date | None) -> bool:
    return ceased == episode.start and (stay.placement, stay.provider) == (
        episode.placement,
        episode.provider,
    )


def stays(episodes: Iterable[Episode]) -> list[Stay]:
    """Each child's episodes, in order of start, folded into stays."""
    found: list[Stay] = []
    ordered = sorted(episodes, key=attrgetter("child_ref", "start"))
    for _, childs in groupby(ordered, key=attrgetter("child_ref")):
        current: Stay | None = None
        ceased: date | None = None
        for episode in childs:
            if current is not None and _continues(current, episode, ceased):
                current = Stay(
                    current.child_ref, current.placement, current.provider, current.start,
                    last_day(episode), _reason(episode), (*current.lines, episode.line),
                )  # fmt: skip
            else:
                if current is not None:
                    found.append(current)
                current = Stay(
                    episode.child_ref, episode.placement, episode.provider, episode.start,
                    last_day(episode), _reason(episode), (episode.line,),
                )  # fmt: skip
            ceased = episode.ceased
        if current is not None:
            found.append(current)
    return found


def _reason(episode: Episode) -> str | None:
    if episode.ceased is None:
        return None
    return ENDINGS.get(episode.ending, UNRECORDED_ENDING)


def overlapping(episodes: Iterable[Episode]) -> list[tuple[Episode, Episode]]:
    """(episode, the earlier one of the same child it overlaps): an episode must not start
    before the child's previous one ended, and nothing follows one still open."""
    found = []
    ordered = sorted(episodes, key=attrgetter("child_ref", "start", "line"))
    for _, childs in groupby(ordered, key=attrgetter("child_ref")):
        previous: Episode | None = None
        for episode in childs:
            ended = previous.ceased if previous else date.min
            if previous is not None and (ended is None or episode.start < ended):
                found.append((episode, previous))
                continue
            previous = episode
    return found
