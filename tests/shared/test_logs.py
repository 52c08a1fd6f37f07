"""Log lines go to the standard error the process has when they are written."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from shared.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, stderr = root.handlers[:], root.level, sys.stderr
    yield
    root.handlers[:], sys.stderr = handlers, stderr
    root.setLevel(level)


def test_a_line_logged_after_stderr_was_replaced_and_closed_reaches_the_new_one(
    restored_logging: None,
) -> None:
    configured_with = io.StringIO()
    sys.stderr = configured_with
    configure_logging("value")
    configured_with.close()  # as a test runner closes the capture of a finished test
    sys.stderr = now = io.StringIO()

    logging.getLogger("kafka.cluster").error("Topic %s not found", "acorn.ledger")

    line = json.loads(now.getvalue())
    assert (line["service"], line["message"]) == ("value", "Topic acorn.ledger not found")
