"""Background processes with a PID file, a log file and a readiness check each."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from deploy.paths import LOG_DIR, RUN_DIR

# Processes this Python process started, so it can reap them (no zombies) when they exit.
_children: dict[int, subprocess.Popen[bytes]] = {}


class StartError(RuntimeError):
    """A component did not become ready; the message names it and its log file."""


@dataclass
class Component:
    name: str
    command: list[str]
    ready: Callable[[], None]
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 60.0
    cwd: Path | None = None
    # (host, port) it listens on: if something else answers there, starting it would only look
    # ready (the readiness check reaches the other process) while it fails to bind
    listens_on: tuple[tuple[str, int], ...] = ()

    @property
    def pid_file(self) -> Path:
        return RUN_DIR / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return LOG_DIR / f"{self.name}.log"


def running_pid(pid_file: Path) -> int | None:
    """The PID in `pid_file` if that process is alive; stale files are removed."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(pid):
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def is_ready(component: Component) -> bool:
    try:
        component.ready()
    except Exception:
        return False
    return True


def start(component: Component) -> bool:
    """Start `component` unless it already runs; True if this call started it."""
    if running_pid(component.pid_file) is not None:
        return False
    for host, port in component.listens_on:
        if _answers(host, port):
            raise StartError(
                f"{component.name} cannot start: {host}:{port} is already in use by a process "
                "this project is not running (one still stopping, or started by hand); "
                "stop it or wait for it to exit, then start again"
            )
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with component.log_file.open("ab") as log:
        process = subprocess.Popen(
            component.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **component.env},
            cwd=component.cwd,
            start_new_session=True,  # its own process group: `down` stops its children too
        )
    _children[process.pid] = process
    component.pid_file.write_text(str(process.pid))
    return True


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def wait_ready(component: Component) -> None:
    deadline = time.monotonic() + component.ready_timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if running_pid(component.pid_file) is None:
            raise StartError(
                f"{component.name} exited during start-up; see its log: {component.log_file}"
            )
        try:
            component.ready()
            return
        except Exception as error:
            last_error = error
        time.sleep(0.3)
    raise StartError(
        f"{component.name} was not ready after {component.ready_timeout:.0f}s "
        f"({last_error!r}); see its log: {component.log_file}"
    )


def stop(pid_file: Path, timeout: float = 20.0) -> bool:
    """SIGTERM the process group, then SIGKILL after `timeout`; True if something was stopped."""
    pid = running_pid(pid_file)
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.2)
    else:
        os.killpg(pid, signal.SIGKILL)
        if pid in _children:
            _children.pop(pid).wait()
    pid_file.unlink(missing_ok=True)
    return True
