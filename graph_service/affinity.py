"""CPU affinity for `serve --one-cpu`: the server's Python threads on one CPU, its SPARQL workers and warm-up on all."""

from __future__ import annotations

import ctypes
import os

_allowed: frozenset[int] | None = None
"""The CPUs the process may use, once its threads are kept on one (None until then)."""


def keep_threads_on_one_cpu() -> int | None:
    """Keep the calling thread, and every thread it starts from now on, on the CPU it runs on.

    The event loop and the lanes take turns under one GIL, so a second CPU gives them
    nothing, while handing each request from one thread to another across two CPUs wakes
    the idle one every time. On a 2-core VM at S = 1000 with 8 clients this took gaps from
    ~710 to ~830 answers/s, lookups from ~1 260 to ~1 920 and /sparql lookups from ~950 to
    ~1 400 (alternating runs on two servers). Threads started before the call (pyoxigraph's
    bulk loader, RocksDB's) keep every CPU, and so do the SPARQL workers (see `spread`) and
    the start-up warm-up (see `use_every_cpu`).
    Linux only; returns the CPU, or None where nothing was changed (one CPU, no affinity).
    `serve --one-cpu` asks for it; it is not the default because two servers started on one
    machine may well load on the same CPU, and then both would stay there.
    """
    global _allowed
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = frozenset(os.sched_getaffinity(0))
    cpu = _current_cpu()
    if len(allowed) < 2 or cpu not in allowed:
        return None
    try:
        os.sched_setaffinity(0, {cpu})  # 0: on Linux, the calling thread, not the whole process
    except OSError:
        return None
    _allowed = allowed
    return cpu


def spread(pid: int) -> None:
    """Let a child process use every CPU the server may use (children inherit the one CPU otherwise)."""
    if _allowed is None:
        return
    try:
        os.sched_setaffinity(pid, _allowed)
    except OSError:  # the child has already exited: its pool reports that
        pass


def use_every_cpu() -> None:
    """Let the calling thread, and the threads it starts from now on, use every CPU the server may use.

    For the start-up warm-up, whose reads run outside the GIL: kept on the server's one CPU
    they left the other idle, and at S = 10 000 on disk the first gap came ~50 s after start.
    """
    if _allowed is None:
        return
    try:
        os.sched_setaffinity(0, _allowed)
    except OSError:  # a CPU went offline since: stay where the thread is
        pass


def _current_cpu() -> int:
    """The CPU the calling thread runs on, or -1 where the C library cannot say."""
    try:
        return ctypes.CDLL(None).sched_getcpu()
    except (OSError, AttributeError):
        return -1
