"""Memory kept in the process during parameter-sized work.

glibc returns every large block to the system when it is freed, so the
next large array is fresh memory that the kernel must fault in and zero
page by page; on a virtual machine whose memory the host also maps lazily
that costs about a second per gigabyte, over and over, as a lint of a
100M-parameter model allocates and frees gigabyte arrays hundreds of
times.  ``retained`` keeps freed blocks in the process while the work
runs (one fault per page, at the high-water mark) and hands the memory
back when it ends.  Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from contextlib import contextmanager

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_DEFAULT_MMAP_MAX = 65536
_DEFAULT_TRIM = 128 * 1024


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version                     # glibc only
        return libc
    except (OSError, AttributeError):
        return None


_lock = threading.Lock()
_depth = 0


@contextmanager
def retained():
    """Large blocks come from (and go back to) the process's heap while inside (nested
    or in several threads at once: the settings hold until the last one leaves).  On
    leaving, glibc's defaults are set again (settings made before by ``mallopt`` or
    ``MALLOC_*`` variables are not restored).

    >>> with retained():
    ...     with retained():
    ...         pass
    """
    global _depth
    libc = _glibc()
    if libc is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            libc.mallopt(_M_MMAP_MAX, 0)               # large blocks from the heap, not fresh maps
            libc.mallopt(_M_TRIM_THRESHOLD, 1 << 62)   # and freed blocks kept there
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM)
                libc.malloc_trim(0)                    # the memory goes back to the system
