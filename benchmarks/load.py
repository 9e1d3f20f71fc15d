"""The client load generator and the memory sampler.

`drive` runs a list of requests with N concurrent clients (threads; each HTTP client keeps its
own keep-alive connection) for a fixed time or a fixed number of requests, whichever ends first,
and returns latency percentiles and throughput. `PeakRss` samples the resident memory of a
process and all its children (e.g. graph-service's SPARQL workers) and keeps the peak.
"""

from __future__ import annotations

import itertools
import math
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable, Generic, Sequence, TypeVar

import psutil

C = TypeVar("C")


@dataclass(frozen=True)
class Stats:
    """What one run of requests measured (times in milliseconds)."""

    clients: int
    requests: int
    errors: int
    seconds: float
    p50: float
    p99: float
    first_error: str = ""

    @property
    def throughput(self) -> float:
        """Successful requests per second over the whole run."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 < share ≤ 1) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


class Driver(Generic[C]):
    """Runs requests `ask(client, i)` with one client object per thread from `connect()`."""

    def __init__(self, connect: Callable[[], C], ask: Callable[[C, int], None], close: Callable[[C], None]):
        self.connect, self.ask, self.close = connect, ask, close

    def drive(self, clients: int, seconds: float, most: int, start: int = 0) -> Stats:
        """Issue requests start, start+1, … from `clients` threads until `seconds` pass or `most` were issued.

        A request that raises counts as an error (the first message is kept); requests in
        flight when time is up are finished and counted.
        """
        counter = itertools.count(start)
        lock = threading.Lock()
        timings: list[float] = []
        errors: list[str] = []
        deadline = time.perf_counter() + seconds

        def client() -> None:
            conn = self.connect()
            try:
                while time.perf_counter() < deadline:
                    with lock:
                        i = next(counter)
                    if i - start >= most:
                        return
                    began = time.perf_counter()
                    try:
                        self.ask(conn, i)
                    except Exception as err:  # noqa: BLE001 - any failure of the system under test is an error row
                        with lock:
                            errors.append(f"{type(err).__name__}: {err}"[:300])
                    with lock:
                        timings.append((time.perf_counter() - began) * 1000)
            finally:
                self.close(conn)

        began = time.perf_counter()
        threads = [threading.Thread(target=client, name=f"bench-client-{n}") for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        if not timings:
            return Stats(clients, 0, 0, elapsed, float("nan"), float("nan"))
        return Stats(clients, len(timings), len(errors), elapsed, statistics.median(timings),
                     percentile(timings, 0.99), errors[0] if errors else "")


class PeakRss:
    """Sample the resident set of a process tree every `interval` seconds; `peak` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()

    def now(self) -> int:
        """Bytes resident in the process and all its descendants right now."""
        total = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            self._stop.wait(self.interval)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the process and its living descendants."""
        total = 0.0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def settle(self, limit: float = 120.0, idle: float = 0.1, window: float = 1.0) -> None:
        """Wait (at most `limit` s) until the tree uses under `idle` of a core over `window` s: background
        work after start-up (graph-service's warm-up, its query workers loading) is over."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(window)
            if self.cpu_seconds() - before < idle * window:
                return

    def stop(self) -> int:
        """Stop sampling and return the peak in bytes."""
        self.peak = max(self.peak, self.now())
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak
