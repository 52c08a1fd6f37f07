"""How the C allocator hands memory back, for the report process (glibc; elsewhere a no-op).

glibc gives a large block (a numpy column of a report's arrangement) a mapping of its own and
unmaps it when it is freed, returning it to the system. But each time it frees one, it raises the
size below which blocks come from the heap instead, up to 32 MiB. A report process builds and
drops columns of a few to tens of megabytes at every change; once the threshold has risen they
come from the heap, where the small objects allocated between them keep the freed space from ever
going back. A fixed threshold keeps every block above it a mapping of its own. At the largest
preset it took the value API after `bench.stack_reports`' 35 reports from 691 MB to 552 MB
(docs/benchmarks.md, session 9).
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
# a column of a county's arrangement is a few megabytes or more. Below this, blocks (a report's
# temporaries, its JSON) come from the heap, where reusing them is quicker than mapping new pages:
# at 128 KiB, glibc's own starting value, the first answers were some 25% slower
LARGE_BLOCK_BYTES = 4 * 2**20


def map_large_blocks_apart() -> bool:
    """Fix glibc's threshold for mapping a block apart; False where there is no glibc."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))
