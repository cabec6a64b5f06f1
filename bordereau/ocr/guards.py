"""Resource guards of the reading: page size and pixel limits, worker processes bound to
their parent and limited in memory.

Limits are checked before anything is decoded (``docs/scan-input.md``): a page larger than
``MAX_PAGE_MM`` on a side, or that would decode to more than ``MAX_PIXELS`` pixels, is
refused with a French reason; so is an image whose header promises more (a decompression
bomb). Worker processes die with the process that started them (``PR_SET_PDEATHSIG``), so a
``kill -9`` of ``scan ingest`` leaves nothing running and nothing holding the base's lock,
and each worker's address space is capped (``RLIMIT_AS``), so one page cannot take the
machine's memory: it fails alone, refused.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import sys
from pathlib import Path

MAX_PAGE_MM = 500.0  # longest side of a page: A3 is 420 mm; forms are A4
MAX_PIXELS = 150_000_000  # an A4 page at 1200 dpi is 139 Mpx (reduced to 600 dpi once read)
WORKER_MEMORY = 3 << 30  # bytes of address space a worker may add to what it inherited
_PR_SET_PDEATHSIG = 1


def page_too_large(width_mm: float, height_mm: float) -> str | None:
    """Why a page of this size is refused before rendering (French), or None."""
    if max(width_mm, height_mm) > MAX_PAGE_MM:
        return (f"page trop grande ({width_mm:.0f} × {height_mm:.0f} mm, au plus "
                f"{MAX_PAGE_MM:.0f} mm de côté) : ce n'est pas un bordereau")
    return None


def too_many_pixels(width: int, height: int) -> str | None:
    """Why an image of this many pixels is refused before decoding (French), or None."""
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        return (f"image trop grande ({width} × {height} pixels, au plus "
                f"{MAX_PIXELS // 1_000_000} millions) : refusée sans être décodée")
    return None


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere, no-op)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None and os.getppid() != parent.pid:
        os._exit(1)  # the parent died before the request was made


def limit_memory(extra: int = WORKER_MEMORY) -> None:
    """Cap this process's address space at what it uses now plus ``extra`` bytes."""
    try:
        with Path("/proc/self/statm").open() as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def guard_worker() -> None:
    """Everything a reading worker process does first."""
    die_with_parent()
    limit_memory()
