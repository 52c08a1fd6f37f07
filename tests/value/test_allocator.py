"""The report process's allocator setting, seen in a fresh process of its own: where a large
block lands after a larger one was freed."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import sys
import numpy as np
from services.value.adapters.allocator import map_large_blocks_apart
if sys.argv[1] == "fixed":
    assert map_large_blocks_apart()
freed = np.ones(20 * 2**20, dtype=np.uint8)
del freed  # glibc, left alone, now takes blocks below 20 MiB from the heap
block = np.ones(8 * 2**20, dtype=np.uint8)
heap = [line.split()[0] for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]")]
start, end = (int(x, 16) for x in heap[0].split("-"))
print("heap" if start <= block.ctypes.data < end else "apart")
"""


def where_a_block_lands(setting: str) -> str:
    ran = subprocess.run(
        [sys.executable, "-c", PROBE, setting],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    return ran.stdout.strip()


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's allocator"
)
def test_a_large_block_stays_a_mapping_of_its_own_after_a_larger_one_is_freed() -> None:
    assert where_a_block_lands("default") == "heap"  # what the setting is for
    assert where_a_block_lands("fixed") == "apart"
