"""Starting a component whose port another process holds fails at once, saying so."""

from __future__ import annotations

import socket
import sys
import uuid

import pytest

from deploy import processes


def test_a_component_whose_port_is_taken_is_not_started_and_the_port_is_named() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        component = processes.Component(
            name=f"test-port-{uuid.uuid4().hex[:8]}",
            command=[sys.executable, "-c", "import time; time.sleep(60)"],
            ready=lambda: None,
            listens_on=(("127.0.0.1", port),),
        )
        with pytest.raises(processes.StartError, match=f"127.0.0.1:{port} is already in use"):
            processes.start(component)
    assert processes.running_pid(component.pid_file) is None
    assert not component.pid_file.exists()


def test_a_component_whose_port_is_free_starts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed
    component = processes.Component(
        name=f"test-port-{uuid.uuid4().hex[:8]}",
        command=[sys.executable, "-c", "import time; time.sleep(60)"],
        ready=lambda: None,
        listens_on=(("127.0.0.1", port),),
    )
    try:
        assert processes.start(component)
        assert processes.running_pid(component.pid_file) is not None
    finally:
        processes.stop(component.pid_file)
        component.log_file.unlink(missing_ok=True)
    assert processes.running_pid(component.pid_file) is None
