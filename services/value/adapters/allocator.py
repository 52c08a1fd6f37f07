"""How the C allocator hands memory back, for the report process (glibc; elsewhere a no-op).

glibc gives a large block (a numpy column of a report's arrangement) a mapping of its own and
unmaps it when it is freed, returning it to the system. But each time it frees one, it raises the
size below which blocks come from the heap instead, up to 32 MiB. A report process builds and
drops columns of a few to tens of megabytes at every change; once the threshold has risen they
come from the heap, where the small objects allocated between them keep the freed space from ever
going back. Fixing the threshold at glibc's own starting value keeps every large block a mapping.
At the largest preset this took the report process, in-process after the 35 reports of
`bench.stack_reports`, from 650 MB to 529 MB (docs/benchmarks.md, session 9).
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
LARGE_BLOCK_BYTES = 128 * 1024  # glibc's default starting threshold


def map_large_blocks_apart() -> bool:
    """Fix glibc's threshold for mapping a block apart; False where there is no glibc."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))
