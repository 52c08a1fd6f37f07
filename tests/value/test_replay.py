"""Rebuilding the read model from the topics gives the same reports, to the penny; asking the
command for help (or mistyping an option) rebuilds nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.value.entrypoints import replay as replay_command
from services.value.entrypoints.replay import replay
from tests.support.bus import running, wait_until
from tests.value import events as ev
from tests.value.conftest import ValueService
from tests.value.generator import generate

pytestmark = pytest.mark.integration


def test_replay_rebuilds_the_same_read_model(
    value_service: ValueService, auth: Callable[..., dict[str, str]]
) -> None:
    council = generate(children=40, seed=11)
    published = sum(len(events) for events in council.values())
    for topic, events in council.items():
        value_service.publish(topic, events)

    def reports() -> list[Any]:
        return [
            value_service.client.get(
                f"/reports/{path}", query_string=query, headers=auth("finance")
            ).get_json()
            for path, query in [
                ("cost-per-outcome", {"fy": 2024}),
                ("cost-per-outcome", {"fy": 2024, "quarter": 3, "group_by": "need_level"}),
                ("reconciliation", {"fy": 2024, "quarter": 3}),
                ("report-card", {"fy": 2024, "basis": "paid"}),
            ]
        ]

    live = value_service.runner()
    with running(live.run):
        wait_until(lambda: live.stats.handled == published, timeout=120, what="the live build")
    live.producer.close(timeout=5)
    built_live = reports()
    assert built_live[0]["total"]["spend_pence"] > 0

    # an effect that no topic holds (written behind the consumer's back): a rebuild drops it
    stray = ev.transaction(
        "tx-stray",
        intervention_id=None,
        provider_id=None,
        lines=[(None, "2024-05-01", "2024-05-01", 1)],
    )
    value_service.read_model.apply(stray)
    assert reports()[0]["total"]["spend_pence"] == built_live[0]["total"]["spend_pence"] + 1

    handled = replay(value_service.worker_settings(), value_service.read_model, timeout=120)
    assert handled == published
    assert reports() == built_live


@pytest.mark.parametrize(("argv", "status"), [(["--help"], 0), (["--yes-really"], 2)])
def test_help_or_an_unknown_option_drops_nothing(
    argv: list[str],
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> int:
        raise AssertionError("the read model would have been dropped and rebuilt")

    monkeypatch.setattr(replay_command, "replay", must_not_run)
    with pytest.raises(SystemExit) as exited:
        replay_command.main(argv)
    assert exited.value.code == status
    if status == 0:
        assert "Rebuild the read model from scratch" in capsys.readouterr().out
