"""A bounded load test of the real server on loopback: many clients, mixed requests, no errors, no memory growth.

`graph-service serve` runs as a subprocess over the pilot graph. 16 client threads, each with
its own keep-alive connection, send 10 000 requests mixed from the gap, ladder, coverage and
credentials routes, /id/ dereferencing, named queries through /sparql and the HTML pages.
Every answer must have the status expected of its request (2xx, or the 4xx a bad request
earns), and the resident memory of the server's process tree (the server and its SPARQL
query workers) may grow by at most GROWTH_BOUND after warm-up. Under `make soak`
(GRAPH_SERVICE_SOAK=1) it sends 100 000. `serve --one-cpu` keeps the server's threads on one CPU
and lets its workers use all.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil
import pytest

import servers
from graph_service.namespaces import MMID
from graph_service.queries import named_queries
from soak import size

CLIENTS = 16
REQUESTS = size(quick=10_000, soak=100_000)
WARM_UP = 1_000
GROWTH_BOUND = 50 * 2**20
"""Resident memory the process tree (~440 MB) may gain after warm-up; measured +2 MB over 10 000, +3 MB over 100 000."""
EXE = str(Path(sys.executable).with_name("graph-service"))


@dataclass(frozen=True)
class Call:
    """One kind of request in the mix, the statuses it may get, and how often it comes."""

    name: str
    method: str
    path: str
    body: bytes | None = None
    accept: str = "*/*"
    expected: frozenset[int] = frozenset({200})
    weight: int = 1


def _query(path: str, **params: str | list[str]) -> str:
    """A path with a query string."""
    return f"{path}?{urllib.parse.urlencode(params, doseq=True)}"


def _gap(holds: list[str], target: str) -> bytes:
    """A POST /api/gap body."""
    return json.dumps({"holds": holds, "target": target}).encode()


def _sparql(name: str) -> str:
    """GET /sparql with a named query from queries/."""
    return _query("/sparql", query=named_queries()[name].text)


ROLE, CREDENTIAL = MMID + "role/", MMID + "credential/"
MIX = (
    Call("gap", "POST", "/api/gap", _gap([CREDENTIAL + "vk-01"], ROLE + "vakthavande-drifttekniker"), weight=3),
    Call("gap from nothing", "POST", "/api/gap", _gap([], ROLE + "underskoterska"), weight=2),
    Call("gap, unknown role", "POST", "/api/gap", _gap([], ROLE + "nobody"), expected=frozenset({422})),
    Call("gap, malformed JSON", "POST", "/api/gap", b'{"holds": [', expected=frozenset({400})),
    Call("ladder", "GET", _query("/api/ladder", **{"from": ROLE + "drifttekniker", "to": ROLE + "validerare"}),
         weight=2),
    Call("ladder with holds", "GET", _query("/api/ladder", **{"from": ROLE + "vardbitrade",
                                                              "to": ROLE + "underskoterska",
                                                              "holds": [CREDENTIAL + "vk-01"]})),
    Call("no ladder", "GET", _query("/api/ladder", **{"from": ROLE + "validerare", "to": ROLE + "drifttekniker"}),
         expected=frozenset({404})),
    Call("coverage", "GET", "/api/coverage"),
    Call("credentials by text", "GET", _query("/api/credentials", q="vatten"), weight=2),
    Call("credentials by level", "GET", _query("/api/credentials", eqf="eqf:4")),
    Call("roles", "GET", "/api/roles"),
    Call("resource", "GET", _query("/api/resource", iri="credential:vk-02")),
    Call("/id/ as Turtle", "GET", "/id/credential/vk-01", accept="text/turtle", weight=2),
    Call("/id/ as JSON-LD", "GET", "/id/role/drifttekniker", accept="application/ld+json"),
    Call("/id/ unknown", "GET", "/id/credential/nothing", accept="text/turtle", expected=frozenset({404})),
    Call("sparql roles", "GET", _sparql("catalogue-roles"), accept="application/sparql-results+json"),
    Call("sparql by level", "GET", _sparql("credentials-by-eqf-level"), accept="text/csv"),
    Call("sparql uncovered", "GET", _sparql("uncovered-requirements"), accept="application/sparql-results+xml"),
    Call("sparql syntax error", "GET", _query("/sparql", query="SELECT WHERE {"), expected=frozenset({400})),
    Call("path finder page", "GET", _query("/", target="role:underskoterska")),
    Call("explorer page", "GET", "/explore"),
    Call("credential page", "GET", "/credential/vk-01"),
    Call("health", "GET", "/health"),
)


def schedule(count: int, seed: int) -> list[Call]:
    """`count` calls drawn from the mix by weight, in a fixed pseudo-random order."""
    return random.Random(seed).choices(MIX, weights=[c.weight for c in MIX], k=count)


@dataclass
class Tally:
    """What a run saw: statuses per call and the unexpected answers (first few kept whole)."""

    statuses: Counter
    errors: list[str]


def send(calls: list[Call], port: int, clients: int) -> Tally:
    """Send `calls` from `clients` threads, each on its own keep-alive connection, sharing one queue."""
    tally, lock = Tally(Counter(), []), threading.Lock()
    pending = iter(calls)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                call = next(pending, None)
            if call is None:
                break
            outcome = _one(connection, call)
            with lock:
                tally.statuses[(call.name, outcome)] += 1
                if outcome not in call.expected and len(tally.errors) < 20:
                    tally.errors.append(f"{call.name}: {outcome}")
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def _one(connection: http.client.HTTPConnection, call: Call) -> int | str:
    """Send one call; its status, or the name of the error that stopped it."""
    headers = {"Accept": call.accept, **({"Content-Type": "application/json"} if call.body else {})}
    try:
        connection.request(call.method, call.path, body=call.body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as err:
        connection.close()
        return type(err).__name__


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


@contextmanager
def serving(log_path: Path, *options: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """`graph-service serve [options]` over the pilot graph on a free loopback port; stopped afterwards."""
    port = servers.free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen([EXE, "serve", "--port", str(port), *options], stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            _wait_for(port, process)
            yield process, port
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """`graph-service serve` with its defaults."""
    with serving(tmp_path / "serve.log") as started:
        yield started


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    """Poll /health until the server answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"graph-service serve did not answer on port {port} within {seconds:.0f} s")


def test_mixed_load_from_16_clients_has_no_errors_and_no_memory_growth(
        server: tuple[subprocess.Popen, int], record_property: pytest.RecordProperty) -> None:
    process, port = server
    warm = send(schedule(WARM_UP, seed=1), port, CLIENTS)
    assert not warm.errors, warm.errors
    before = tree_rss(process.pid)
    started = time.monotonic()
    tally = send(schedule(REQUESTS, seed=8), port, CLIENTS)
    elapsed = time.monotonic() - started
    after = tree_rss(process.pid)
    report = {"requests": REQUESTS, "clients": CLIENTS, "seconds": round(elapsed, 1),
              "per_second": round(REQUESTS / elapsed), "rss_before_mb": round(before / 2**20, 1),
              "rss_after_mb": round(after / 2**20, 1), "processes": 1 + len(psutil.Process(process.pid).children(True))}
    for name, value in report.items():
        record_property(name, value)
    print(f"load: {report}")
    assert sum(tally.statuses.values()) == REQUESTS
    assert not tally.errors, f"unexpected answers: {tally.errors}"
    assert process.poll() is None, "the server died under load"
    assert after - before < GROWTH_BOUND, f"the process tree grew by {(after - before) / 2**20:.1f} MB: {report}"


def _affinities(process: psutil.Process) -> list[set[int]]:
    """The CPUs each thread of a process may run on."""
    return [os.sched_getaffinity(thread.id) for thread in process.threads()]


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="CPU affinity needs Linux and at least two CPUs")
def test_one_cpu_keeps_the_servers_threads_on_one_cpu_and_its_workers_on_all(
        server: tuple[subprocess.Popen, int], tmp_path: Path) -> None:
    allowed = os.sched_getaffinity(0)  # what the servers inherit from this test
    by_default = psutil.Process(server[0].pid)
    assert all(cpus == allowed for cpus in _affinities(by_default)), "pinned by default"
    assert {os.sched_getscheduler(thread.id) for thread in by_default.threads()} == {os.sched_getscheduler(0)}
    log = tmp_path / "one-cpu.log"
    with serving(log, "--one-cpu") as (process, port):
        tally = send([call for call in MIX if call.name in ("gap", "sparql roles")], port, 1)  # a plan, a worker
        assert not tally.errors, tally.errors
        root = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        while len(root.children()) < 2 and time.monotonic() < deadline:  # workers start after warm-up
            time.sleep(0.2)
        assert len(root.children()) >= 2, "the SPARQL workers did not start"
        main_thread = os.sched_getaffinity(process.pid)
        assert len(main_thread) == 1 and main_thread <= allowed
        # the event loop and the planning lane (started by it) share the one CPU, taking turns (SCHED_BATCH);
        # pyoxigraph's threads may not
        on_one = [thread.id for thread in root.threads() if os.sched_getaffinity(thread.id) == main_thread]
        assert len(on_one) >= 2
        assert {os.sched_getscheduler(thread) for thread in on_one} == {os.SCHED_BATCH}
        for worker in root.children():
            assert all(cpus == allowed for cpus in _affinities(worker)), worker.cmdline()
            assert os.sched_getscheduler(worker.pid) == os.sched_getscheduler(0), worker.cmdline()
    assert f"--one-cpu: the server's threads stay on CPU {min(main_thread)}" in log.read_text(encoding="utf-8")
