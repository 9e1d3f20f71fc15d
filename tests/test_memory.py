"""The C heap stays small: threads share few malloc arenas, and freed pages go back to the operating system."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import psutil
import pytest

from graph_service.memory import _malloc_trim, release_free_memory


def _resident_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


@pytest.mark.skipif(_malloc_trim() is None, reason="the C library has no malloc_trim (not glibc)")
def test_freed_heap_pages_are_returned_after_a_large_transient_allocation() -> None:
    """What a bulk load does to the heap: many mid-size blocks, all freed but one at the top.

    glibc cannot shrink the heap past the live block, so the freed pages stay resident until
    release_free_memory() trims them.
    """
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    blocks = []
    for _ in range(3000):  # 3000 x 64 KB = ~190 MB, below the mmap threshold: on the heap
        block = libc.malloc(64 * 1024)
        libc.memset(block, 1, 64 * 1024)
        blocks.append(block)
    keep = blocks.pop()
    for block in blocks:
        libc.free(block)
    before = _resident_mb()
    release_free_memory()
    after = _resident_mb()
    libc.free(keep)
    assert before - after > 100, (before, after)


_ARENA_PROBE = """
import ctypes, sys, threading
from graph_service.memory import limit_malloc_arenas
if sys.argv[1] == "limited":
    limit_malloc_arenas(2)
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
started = threading.Barrier(8)
def allocate():
    started.wait()  # all eight threads alive at once, each taking memory for the first time
    libc.free(libc.malloc(100_000))
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(_malloc_trim() is None, reason="the C library is not glibc")
def test_threads_share_two_malloc_arenas_once_limited() -> None:
    """Eight threads get arenas of their own by default; limited, they share two."""
    def arenas(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _ARENA_PROBE, mode], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stderr.count("Arena ")

    assert arenas("default") > 4
    assert arenas("limited") <= 2
