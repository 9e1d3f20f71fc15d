"""Freed C-heap memory goes back to the operating system after large transient allocations."""

from __future__ import annotations

import ctypes

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
