"""The client load generators and the memory sampler.

`Wrk` asks an HTTP server a list of requests, in order and cycling, with N keep-alive connections
for a fixed time, through wrk (Debian `wrk`, a C load generator), and returns latency
percentiles and throughput. `Driver` does the same for anything else (raw pyoxigraph in
process, a question that is several requests in turn) with N threads, for a fixed time or a
fixed number of requests, whichever ends first. `PeakRss` samples the resident memory of a
process and all its children (e.g. graph-service's SPARQL workers) and keeps the peak.

Why wrk over HTTP: the client shares the server's 2 cores. Python threads with httpx spent
~0.7 ms of CPU per request and answered at most ~1 350 requests/s from a do-nothing ASGI app on
uvicorn, the same with 1 or 8 clients; wrk reached 7 500 and 20 000 from the same app. With the
Python client every fast server's throughput was the client's.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
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


_WRK_SCRIPT = """\
local requests = {%s}
local next_one = 0

function init(args)
   next_one = tonumber(args[1]) %% #requests
end

function request()
   next_one = next_one %% #requests + 1
   return requests[next_one]
end

function done(summary, latency, _)
   local e = summary.errors
   io.write(string.format('\\nWRK {"requests": %%d, "status": %%d, "socket": %%d, "timeout": %%d, '
      .. '"seconds": %%.6f, "p50": %%.3f, "p99": %%.3f}\\n', summary.requests, e.status,
      e.connect + e.read + e.write, e.timeout, summary.duration / 1e6,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def _lua_string(raw: bytes) -> str:
    """A Lua string literal of the bytes: printable ASCII as is, everything else as a decimal escape."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in raw) + '"'


class Wrk:
    """Raw HTTP/1.1 requests asked of one server by wrk (one thread, one keep-alive connection per client).

    wrk takes the next request of the list for every request it sends, so the questions go out
    in the given order, cycling, as with `Driver`. Bodies are read as sent (wrk never inflates
    gzip). An answer with status 400 or more, a socket error or a time-out is an error.
    """

    def __init__(self, url: str, requests: Sequence[bytes]):
        self.program = shutil.which("wrk")
        if self.program is None:
            raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does)")
        self.url, self.requests = url, requests

    def drive(self, clients: int, seconds: float, start: int = 0) -> Stats:
        """Send requests start, start+1, … on `clients` connections for `seconds`; in-flight answers are dropped."""
        with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
            script = Path(folder) / "requests.lua"
            script.write_text(_WRK_SCRIPT % ", ".join(map(_lua_string, self.requests)), encoding="ascii")
            done = subprocess.run([self.program, "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout",
                                   "600s", "-s", str(script), self.url, "--", str(start)],
                                  capture_output=True, text=True, check=False)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:] or done.stdout[-500:]}")
        found = json.loads(line[4:])
        errors = found["status"] + found["socket"] + found["timeout"]
        first = (f"wrk: {found['status']} answers with status >= 400, {found['socket']} socket errors, "
                 f"{found['timeout']} time-outs") if errors else ""
        return Stats(clients, found["requests"] + found["socket"] + found["timeout"], errors, found["seconds"],
                     found["p50"], found["p99"], first)


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
