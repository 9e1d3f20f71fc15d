"""CPU affinity for `serve --one-cpu`: the server's Python threads on one CPU, its SPARQL workers and warm-up on all.

The threads on the one CPU also run under SCHED_BATCH, so that they take turns there without
preempting each other; what gets every CPU back also gets the scheduling policy it had.
"""

from __future__ import annotations

import ctypes
import os

_allowed: frozenset[int] | None = None
"""The CPUs the process may use, once its threads are kept on one (None until then)."""
_policy: int | None = None
"""The scheduling policy the process had before its threads took turns on one CPU (None until then)."""


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
    machine may well load on the same CPU, and then both would stay there. On that CPU the
    threads take turns without preempting each other (`_take_turns`).
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
    _take_turns()
    return cpu


def _take_turns() -> None:
    """Run the calling thread, and the threads it starts from now on, under SCHED_BATCH.

    A thread woken under the normal policy preempts the thread that woke it. On one CPU under
    one GIL that gains nothing: the event loop hands a request to a lane and the lane wakes,
    finds the GIL held, and sleeps again until the loop waits for its next event; handing the
    answer back does the same the other way. SCHED_BATCH threads do not preempt on waking, so
    the waker runs on until it waits. With gaps over HTTP at S = 100 and one client, the
    server's threads switched 2.8 instead of 7.4 times per request, and its CPU time per
    request fell 6 % (alternating cells on two servers, medians of 8). Only from the normal
    policy: a server started under another one keeps it.
    """
    global _policy
    if not hasattr(os, "SCHED_BATCH"):
        return
    try:
        policy = os.sched_getscheduler(0)
        if policy != os.SCHED_OTHER:  # a policy chosen for the server (chrt, say) stays
            return
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError:  # not allowed here (a container's seccomp policy, say): switching as before
        return
    _policy = policy


def _set_free(pid: int) -> None:
    """Give thread `pid` (0: the calling one) every CPU the server may use and the process's first policy back.

    An OSError leaves it as it is: a child that has already exited (its pool reports that), a CPU
    gone offline since, a policy that may not be changed back.
    """
    if _allowed is None:
        return
    try:
        os.sched_setaffinity(pid, _allowed)
    except OSError:
        pass
    if _policy is None:
        return
    try:
        os.sched_setscheduler(pid, _policy, os.sched_param(0))
    except OSError:
        pass


def spread(pid: int) -> None:
    """Let a child process use every CPU the server may use, under the server's first scheduling policy.

    Children inherit the one CPU and SCHED_BATCH otherwise.
    """
    _set_free(pid)


def use_every_cpu() -> None:
    """Let the calling thread, and the threads it starts from now on, use every CPU, under the first policy.

    For the start-up warm-up, whose reads run outside the GIL: kept on the server's one CPU
    they left the other idle, and at S = 10 000 on disk the first gap came ~50 s after start.
    """
    _set_free(0)


def _current_cpu() -> int:
    """The CPU the calling thread runs on, or -1 where the C library cannot say."""
    try:
        return ctypes.CDLL(None).sched_getcpu()
    except (OSError, AttributeError):
        return -1
