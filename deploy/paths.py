"""Where the stack keeps what it downloads (cache), what it runs on (state) and its logs."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Downloads and builds are shared by every clone on the machine, so a second clone starts warm.
CACHE_DIR = Path(os.environ.get("ACORN_CACHE_DIR", Path.home() / ".cache" / "acorn"))
# Data, PID files and logs belong to this checkout; `./dev down --wipe` clears them.
STATE_DIR = Path(os.environ.get("ACORN_STATE_DIR", REPO_ROOT / ".state"))
RUN_DIR = STATE_DIR / "run"
# Reference material beside the repository (../shared/data): the DfE's fake SSDA903 returns.
SHARED_DATA_DIR = Path(
    os.environ.get("ACORN_SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data")
)
FAKE_SSDA903_RETURN = SHARED_DATA_DIR / "ssda903" / "d2i-fake"
LOG_DIR = STATE_DIR / "logs"
DATA_DIR = STATE_DIR / "data"
