"""Durability (issue 8): a server killed with SIGKILL in the middle of an import loses nothing committed.

The real command serves a store directory; a committed catalogue goes in first, then a large
import is sent and the server is killed at a few delays into it. On the same directory the
store must then hold the committed catalogue unchanged, the interrupted one whole or not at
all (data and bookkeeping alike), no scratch graphs, and a restarted server must answer.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pyoxigraph as ox
import pytest

from graph_service.importers import default_graph, import_catalogue, read_bytes
from graph_service.importers.columns import SHEETS
from graph_service.loading import open_graph
from graph_service.resources import resource_dir
from graph_service.store import META_GRAPH, Store, is_bookkeeping
from servers import free_port

EXE = str(Path(sys.executable).with_name("graph-service"))
TOKEN = "a-durability-test-token"
COMMITTED = {path.name: path.read_bytes() for path in
             (resource_dir("mappings") / "templates" / f"{kind}.csv" for kind in ("credentials", "roles", "competences"))}
"""The template catalogue, three sheets, imported and committed before each kill."""
LARGE_ROWS = 4000
MOMENTS = {"reading": 0.2, "checking": 1.5, "writing": None}
"""When to SIGKILL: seconds after sending the large import, or (None) when its first file is being written."""


def _large_catalogue() -> bytes:
    """A credentials sheet of LARGE_ROWS rows, as CSV bytes."""
    out = io.StringIO()
    writer = csv.DictWriter(out, [c.name for c in SHEETS["credentials"]])
    writer.writeheader()
    for i in range(LARGE_ROWS):
        writer.writerow({"credential_id": f"big-{i:05d}", "title_sv": f"Kurs {i}", "awarding_body": "Storskolan",
                         "issuer_country": "SWE", "assessment_type_sv": "Prov", "participation_form": "Online",
                         "quality_assurance_sv": "Intern granskning", "eqf": 1 + i % 8, "workload_hours": 8 + i % 40,
                         "teaches": f"Storkompetens {i % 300}", "prerequisites": f"big-{i - 1:05d}" if i % 10 else "",
                         "outcome_knowledge_sv": f"Kan förklara {i}", "outcome_skills_sv": f"Kan utföra {i}"})
    return out.getvalue().encode()


def _expected(files: dict[str, bytes]) -> tuple[str, set[ox.Triple]]:
    """The graph a catalogue goes to and the triples it holds, imported into the pilot graph in memory."""
    store = open_graph()
    sheets = [sheet for name, data in files.items() for sheet in read_bytes(name, data)]
    graph = default_graph(sheets)
    import_catalogue(store, sheets, graph)
    return graph, set(store.graph_triples(graph))


class Served:
    """`graph-service serve --store DIR --token-file F` as a child process."""

    def __init__(self, directory: Path, token_file: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([EXE, "serve", "--store", str(directory), "--token-file", str(token_file),
                                         "--port", str(self.port)], stdout=log.open("ab"), stderr=subprocess.STDOUT)
        self.log = log

    def wait(self, seconds: float = 120) -> None:
        """Wait until /health answers 200."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer within {seconds} s:\n{self.log.read_text()[-3000:]}")

    def post(self, files: dict[str, bytes], timeout: float = 300) -> httpx.Response:
        """POST /api/catalogues with the sheets as multipart/form-data files."""
        parts = [("file", (name, data, "text/csv")) for name, data in files.items()]
        return httpx.post(f"{self.url}/api/catalogues", files=parts, timeout=timeout,
                          headers={"Authorization": f"Bearer {TOKEN}"})

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A store directory and a token file; every server started on them is stopped at the end."""
    token = tmp_path / "token"
    token.write_text(TOKEN)
    yield tmp_path / "store", token


def _on_disk(directory: Path) -> tuple[dict[str, set[ox.Triple]], set[ox.Quad], list[str]]:
    """Each data graph's triples, the bookkeeping quads, and every named graph of a store directory."""
    store = Store(directory)
    graphs = [g.value for g in store._store.named_graphs()]  # the raw list, scratch graphs included
    data = {g: set(store.graph_triples(g)) for g in graphs if not is_bookkeeping(g)}
    meta = set(store._store.quads_for_pattern(None, None, None, META_GRAPH))
    del store
    gc.collect()
    return data, meta, graphs


def _send_in_background(server: Served, files: dict[str, bytes]) -> threading.Thread:
    """Post an import from a thread that ignores the connection dying with the server."""
    def send() -> None:
        try:
            server.post(files)
        except httpx.HTTPError:
            pass
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _wait_for_writing(directory: Path, sender: threading.Thread, seconds: float = 120) -> None:
    """Return as soon as the bulk loader starts a file in the store (or the import is over)."""
    deadline = time.monotonic() + seconds
    while sender.is_alive() and time.monotonic() < deadline and not any(directory.glob("bulk-*.sst")):
        time.sleep(0.002)


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigkill_during_an_import_keeps_committed_data_and_all_or_nothing(served: tuple[Path, Path], moment: str,
                                                                          tmp_path: Path) -> None:
    directory, token = served
    committed_graph, committed = _expected(COMMITTED)
    large = {"large.csv": _large_catalogue()}
    large_graph, whole = _expected(large)
    log = tmp_path / "server.log"

    first = Served(directory, token, log)
    try:
        first.wait()
        assert first.post(COMMITTED).status_code == 201
        sender = _send_in_background(first, large)
        if MOMENTS[moment] is None:
            _wait_for_writing(directory, sender)
        else:
            time.sleep(MOMENTS[moment])
        first.kill()
        sender.join(timeout=30)
    finally:
        first.stop()

    data, meta, graphs = _on_disk(directory)
    assert data[committed_graph] == committed
    assert data.get(large_graph, set()) in (set(), whole), "the interrupted import was written in part"
    recorded = {q.subject.value for q in meta}
    assert (large_graph in recorded) == bool(data.get(large_graph)), "data and bookkeeping disagree"
    assert [g for g in graphs if is_bookkeeping(g) and g != META_GRAPH.value] == []
    assert list(directory.glob("bulk-*.sst")) == [], "opening the store leaves no unfinished bulk-load file"

    again = Served(directory, token, log)
    try:
        again.wait()
        sources = {s["graph"] for s in httpx.get(again.url + "/health", timeout=10).json()["sources"]}
        assert committed_graph in sources
        ask = httpx.get(again.url + "/sparql", params={"query": f"ASK {{ GRAPH <{committed_graph}> {{ ?s ?p ?o }} }}"},
                        headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert ask.json()["boolean"] is True
    finally:
        again.stop()
