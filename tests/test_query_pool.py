"""The SPARQL query workers: loading outside the time limit, warming, and the merged default graph."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph_service import query_pool
from graph_service.loading import open_graph
from graph_service.query_pool import QueryPool, QueryTimeout, _launch
from graph_service.query_worker import Job, _load_dump, _shares_triples
from graph_service.store import Store

JSON = ("application/sparql-results+json",)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(pool: QueryPool, query: str = COUNT) -> int:
    """The single number a COUNT query answers."""
    body = json.loads(pool.run(Job(query, JSON)).body)
    return int(body["results"]["bindings"][0]["n"]["value"])


def _one_triple_store() -> Store:
    """An in-memory store of one triple."""
    store = Store()
    store.add_triples("http://example.org/g", [ox.Triple(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"),
                                                         ox.NamedNode("urn:x:c"))])
    return store


def _until(condition, seconds: float = 30) -> bool:
    """Wait until `condition()` holds; whether it did in time."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_loading_the_graph_does_not_count_against_the_time_limit() -> None:
    """A worker takes ~1 s to start and load the pilots; a 0.5 s limit still answers the first query."""
    pool = QueryPool(open_graph(), size=1, timeout=0.5)
    try:
        assert count(pool, "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }") > 100
    finally:
        pool.close()


def test_warm_loads_every_worker_in_the_background_and_again_after_a_write() -> None:
    store = open_graph()
    pool = QueryPool(store, size=2, timeout=5)
    try:
        pool.warm()
        assert _until(lambda: pool._idle.qsize() == 2, 60)
        before = count(pool)
        store.add_triples("http://example.org/new", [ox.Triple(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"),
                                                               ox.Literal("c"))])
        pool.invalidate()  # reloads in the background; the next query sees the write either way
        assert count(pool) == before + 1
    finally:
        pool.close()


def test_graphs_that_share_triples_are_merged_and_others_are_unioned_as_they_are(tmp_path) -> None:
    """The default graph is a set however the triples are spread over graphs, in memory and on disk."""
    a, b, c = (ox.NamedNode(f"urn:x:{n}") for n in "abc")
    shared, only = ox.Triple(a, b, c), ox.Triple(c, b, a)
    for store in (Store(), Store(tmp_path / "store")):
        store.add_triples("http://example.org/g1", [shared])
        store.add_triples("http://example.org/g2", [shared, ox.Triple(a, b, ox.Literal("2"))])
        store.add_triples("http://example.org/g3", [only])
        store.add_triples(None, [only, ox.Triple(b, b, b)])
        pool = QueryPool(store, size=1, timeout=10)
        try:
            assert count(pool) == 4  # shared, only, a b "2", b b b: each once
            assert count(pool, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == 4
            assert count(pool, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g3> { ?s ?p ?o } }") == 1
        finally:
            pool.close()


def test_an_in_memory_stores_later_workers_start_from_the_first_ones_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """One dump per graph generation: the first worker loads it and leaves a checkpoint the others copy."""
    a, b, c = (ox.NamedNode(f"urn:x:{n}") for n in "abc")
    store = Store()
    store.add_triples("http://example.org/g1", [ox.Triple(a, b, c), ox.Triple(a, b, ox.Literal("1"))])
    store.add_triples("http://example.org/g2", [ox.Triple(a, b, c)])  # shared: each worker merges the graphs
    dumps = []
    monkeypatch.setattr(store, "dump", lambda *args, **kwargs: dumps.append(args) or Store.dump(store, *args, **kwargs))
    pool = QueryPool(store, size=2, timeout=10)

    def both_workers_up() -> list:
        """Once both workers hold the current graph, one count from each (idle workers queue in turn)."""
        _until(lambda: pool._idle.qsize() == 2 and all(w.generation == pool._generation
                                                        for w in list(pool._idle.queue)), 60)
        return [count(pool) for _ in range(2)]

    def kept() -> dict:
        """The pool's kept seeds, by the graph generation each holds."""
        return {held: folder for folder, held in pool._seeds.items() if held is not None}

    try:
        pool.warm()
        assert both_workers_up() == [2, 2]
        assert len(dumps) == 1 and list(kept()) == [0]
        seed = kept()[0]
        assert (seed / "store").is_dir()
        store.add_triples("http://example.org/g3", [ox.Triple(c, b, a)])
        pool.invalidate()
        assert not seed.exists() and not kept().get(0)
        assert both_workers_up() == [3, 3]
        assert len(dumps) == 2 and list(kept()) == [1]
        seed = kept()[1]
    finally:
        pool.close()
    assert not seed.exists() and not pool._seeds
    other = QueryPool(Store(), size=1)
    writing = other._claim_seed(0)  # as when the server stops while its first worker writes the seed
    other.close()
    assert writing is not None and not writing.exists()


def test_a_new_pool_removes_the_worker_and_seed_folders_of_killed_servers(tmp_path) -> None:
    """Scratch folders carry their server's pid: those of servers gone are removed, a live one's are kept."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    temp = Path(tempfile.gettempdir())
    left = [Path(tempfile.mkdtemp(prefix=f"{prefix}{gone}-", dir=temp))
            for prefix in ("sparql-worker-", "sparql-seed-")]
    live = Path(tempfile.mkdtemp(prefix=f"sparql-worker-{os.getpid()}-", dir=temp))
    store = Store(tmp_path / "store")
    beside = Path(tempfile.mkdtemp(prefix=f".sparql-worker-{gone}-", dir=tmp_path))
    for folder in [*left, live, beside]:
        (folder / "store").mkdir()
        (folder / "store" / "000001.sst").write_bytes(b"x")
    try:
        QueryPool(Store(), size=1).close()
        assert not any(folder.exists() for folder in left) and live.exists() and beside.exists()
        QueryPool(store, size=1).close()
        assert not beside.exists() and live.exists()
    finally:
        shutil.rmtree(live, ignore_errors=True)


# A program that exits without closing its pool while the pool writes a new worker's dump (or
# checkpoint): what is left to the exit hooks (serve closes its pool, see the close() tests below).
_EXITS_WHILE_PREPARING = """
import sys, threading, time
import pyoxigraph as ox
from graph_service.query_pool import QueryPool
from graph_service.store import Store

store = Store(sys.argv[1] if len(sys.argv) > 1 else None)
store.add_triples("http://example.org/g", [ox.Triple(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"),
                                                     ox.NamedNode("urn:x:c"))])
writing = threading.Event()

def slow(*args, **kwargs):
    writing.set()
    time.sleep(60)

store.dump = store.checkpoint = slow
pool = QueryPool(store, size=1)
pool.warm()
assert writing.wait(30)
"""


@pytest.mark.parametrize("kind", ["in memory", "directory"])
def test_a_program_exiting_without_closing_its_pool_leaves_no_worker_folder(tmp_path, kind: str) -> None:
    """The folder made for a worker is removed at exit, even while its dump or checkpoint is still being written."""
    args = [str(tmp_path / "store")] if kind == "directory" else []
    run = subprocess.run([sys.executable, "-c", _EXITS_WHILE_PREPARING, *args], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert not list(tmp_path.glob("*sparql-worker-*")), run.stderr


def test_a_worker_whose_dump_fails_leaves_no_scratch_folder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dump that cannot be written (a full disk) reaches the caller, and the worker's folder is removed."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    store = _one_triple_store()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "dump", full)
    pool = QueryPool(store, size=1)
    try:
        with pytest.raises(OSError, match="No space left"):
            pool.run(Job(COUNT, JSON))
        assert not list(tmp_path.glob("sparql-*")) and not pool._preparing
    finally:
        pool.close()


def test_a_pool_closed_while_a_workers_dump_is_written_leaves_no_folder(tmp_path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """As `serve` stopped by SIGTERM (no exit hooks run): close() removes the folder, the thread gives up quietly."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    store = _one_triple_store()
    writing, go_on = threading.Event(), threading.Event()
    dump = store.dump

    def slow_dump(*args, **kwargs) -> None:
        writing.set()
        go_on.wait(30)
        dump(*args, **kwargs)

    monkeypatch.setattr(store, "dump", slow_dump)
    errors: list = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    pool = QueryPool(store, size=1)
    pool.warm()
    assert writing.wait(30)
    pool.close()
    assert not list(tmp_path.glob("sparql-*"))
    go_on.set()  # the dump goes on into the removed folder
    assert _until(lambda: pool._live == 0)
    assert not list(tmp_path.glob("sparql-*")) and not pool._workers and not pool._preparing and not errors


def test_a_pool_closed_while_a_worker_loads_stops_it_and_removes_its_folder(tmp_path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that has not said it is ready is stopped at close(), not left to an exit hook."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def never_ready(scratch: Path, seed: Path | None = None) -> tuple[subprocess.Popen, Connection]:
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                                       pass_fds=(theirs.fileno(),))
        return process, Connection(ours.detach())

    monkeypatch.setattr(query_pool, "_launch", never_ready)
    pool = QueryPool(_one_triple_store(), size=1)
    pool.warm()
    assert _until(lambda: bool(pool._workers))
    (worker,) = list(pool._workers)
    assert worker.loading and worker.scratch.exists()
    pool.close()
    assert worker.process.poll() is not None and not worker.scratch.exists()
    assert _until(lambda: pool._live == 0) and not list(tmp_path.glob("sparql-*"))


def test_a_worker_busy_when_the_pool_closes_stops_when_its_query_ends(tmp_path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Its answer still reaches the caller; then the worker is stopped and its folder removed, not made idle."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    store = Store()
    store.add_triples("http://example.org/g", [ox.Triple(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"),
                                                         ox.Literal(str(i))) for i in range(3000)])
    pool = QueryPool(store, size=1, timeout=60)
    assert count(pool) == 3000
    (worker,) = list(pool._workers)
    answers: list[int] = []
    asking = threading.Thread(target=lambda: answers.append(count(pool, "SELECT (COUNT(*) AS ?n) WHERE "
                                                                        "{ ?a ?b ?c . ?d ?e ?f }")))
    asking.start()
    assert _until(lambda: pool._idle.empty())
    pool.close()
    assert asking.is_alive()  # 9 M rows to count: the worker is still busy
    asking.join(60)
    assert answers == [3000 * 3000]
    assert worker.process.poll() is not None and not worker.scratch.exists() and pool._idle.empty()
    assert not list(tmp_path.glob("sparql-*"))


def test_a_store_directory_without_shared_triples_is_queried_in_place(tmp_path) -> None:
    """No graph shares a triple: the worker reads the directory itself (no copy) and counts each once."""
    store = Store(tmp_path / "store")
    store.add_triples("http://example.org/g1", [ox.Triple(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:p"),
                                                           ox.Literal(str(i))) for i in range(50)])
    store.add_triples("http://example.org/g2", [ox.Triple(ox.NamedNode("urn:x:b"), ox.NamedNode("urn:x:p"),
                                                           ox.Literal(str(i))) for i in range(30)])
    pool = QueryPool(store, size=1, timeout=10)
    try:
        assert count(pool) == 80
        assert count(pool, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g2> { ?s ?p ?o } }") == 30
    finally:
        pool.close()


def test_a_server_set_to_warm_up_reads_the_graph_before_the_first_request() -> None:
    from fastapi.testclient import TestClient

    from graph_service.api import create_app
    from graph_service.settings import Settings

    app = create_app(Settings(warm_up=True, query_workers=1), open_graph())
    with TestClient(app):
        _until(lambda: "records" in app.state.service._cache and app.state.query_pool._idle.qsize() >= 1, 60)
        assert all(key in app.state.service._cache for key in ("records", "labels", "coverage sv", "coverage en"))
        assert app.state.query_pool._idle.qsize() == 1


def test_workers_read_a_checkpoint_that_writes_and_compaction_cannot_disturb(tmp_path) -> None:
    """A worker on a store directory reads its own checkpoint, removed when the worker stops."""
    store = Store(tmp_path / "store")
    store.add_triples("http://example.org/g", [ox.Triple(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"),
                                                          ox.Literal("v")) for i in range(1000)])
    pool = QueryPool(store, size=1, timeout=10)
    try:
        assert count(pool) == 1000
        (scratch,) = [p for p in tmp_path.iterdir() if p.name.startswith(".sparql-worker-")]
        store.drop_graph("http://example.org/g")  # the live store changes under the worker
        store._store.optimize()
        worker = pool._idle.get_nowait()
        pool._idle.put(worker)
        assert worker.scratch == scratch and (scratch / "store").is_dir()
        pool.invalidate()
        assert count(pool) == 0
    finally:
        pool.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sparql-worker-")]


def test_a_dump_loaded_in_slices_is_the_same_graph_with_each_blank_node_still_one_node(tmp_path) -> None:
    """The worker loads the server's dump a few lines at a time; blank nodes span slices and stay shared."""
    store = Store()
    p, graph = ox.NamedNode("urn:x:p"), "http://example.org/g"
    lists = [ox.BlankNode() for _ in range(5)]
    store.add_triples(graph, [ox.Triple(ox.NamedNode(f"urn:x:{i}"), p, lists[i % 5]) for i in range(40)]
                      + [ox.Triple(node, p, ox.Literal("_: in a literal")) for node in lists]
                      + [ox.Triple(ox.NamedNode(f"urn:x:{i}"), p, ox.Literal(str(i))) for i in range(40)])
    store.dump(tmp_path / "graph.nq")
    loaded = ox.Store(str(tmp_path / "store"))
    _load_dump(loaded, tmp_path / "graph.nq", lines=3)
    assert len(loaded) == len(store._store)
    shared = "SELECT ?o (COUNT(?s) AS ?n) WHERE { ?s <urn:x:p> ?o FILTER isBlank(?o) } GROUP BY ?o"
    assert sorted(int(row["n"].value) for row in loaded.query(shared, use_default_graph_as_union=True)) == [8] * 5
    described = "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:x:p> ?o . ?o <urn:x:p> ?label }"
    assert next(iter(loaded.query(described, use_default_graph_as_union=True)))["n"].value == "40"


def test_a_worker_imports_only_what_answering_needs() -> None:
    """Workers start from their own module, not the server's __main__: no web framework, rdflib or planner,
    nor the HTTP client and e-mail modules that xml.sax.saxutils pulls in."""
    probe = ("import sys, graph_service.query_worker; "
             "print(sorted({'fastapi', 'starlette', 'rdflib', 'networkx', 'pydantic', 'graph_service.cli', "
             "'graph_service.planner', 'urllib.request', 'http.client', 'email'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_workers_stop_when_the_pool_closes_and_when_the_server_dies(tmp_path) -> None:
    """close() stops idle workers; a worker whose server end is gone (kill -9 of the server) exits by itself."""
    pool = QueryPool(open_graph(), size=1, timeout=10)
    assert count(pool) > 100
    (worker,) = list(pool._workers)
    pool.close()
    assert worker.process.poll() is not None and not worker.scratch.exists()

    pool = QueryPool(open_graph(), size=1, timeout=10)
    try:
        assert count(pool) > 100
        (worker,) = list(pool._workers)
        worker.conn.close()  # what the operating system does to the server's end when it is killed
        assert worker.process.wait(timeout=30) == 0
    finally:
        pool.close()


def test_a_worker_whose_server_stops_while_it_loads_ends_quietly(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server stopped during the warm-up closes its end before the worker says it is ready: no traceback."""
    open_graph().dump(tmp_path / "graph.nq")
    popen = subprocess.Popen  # the worker writes to the server's stderr: catch it here instead
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: popen(*a, **k, stderr=subprocess.PIPE, text=True))
    process, conn = _launch(tmp_path)
    conn.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in err, err


def test_a_triple_shared_by_the_two_largest_graphs_is_found_whichever_graph_is_left_unwalked() -> None:
    """The walk stops when one graph is left; a triple it shares with another graph is met on the other side."""
    def triples(graph: str, n: int) -> list[ox.Quad]:
        return [ox.Quad(ox.NamedNode(f"urn:x:{graph}{i}"), ox.NamedNode("urn:x:p"), ox.Literal(str(i)),
                        ox.NamedNode(f"urn:g:{graph}")) for i in range(n)]

    shared = (ox.NamedNode("urn:x:shared"), ox.NamedNode("urn:x:p"), ox.NamedNode("urn:x:o"))
    for big, small in ((2500, 1500), (1500, 2500)):
        store = ox.Store()
        store.extend([*triples("big", big), *triples("small", small), *triples("tiny", 3)])
        named = [ox.NamedNode(f"urn:g:{g}") for g in ("big", "small", "tiny")]
        assert not _shares_triples(store, named)
        store.add(ox.Quad(*shared, ox.NamedNode("urn:g:big")))
        assert not _shares_triples(store, named)
        store.add(ox.Quad(*shared, ox.NamedNode("urn:g:small")))
        assert _shares_triples(store, named)
        store.remove(ox.Quad(*shared, ox.NamedNode("urn:g:small")))
        store.add(ox.Quad(*shared, ox.DefaultGraph()))
        assert _shares_triples(store, named)


def test_slow_and_stopped_queries_are_logged_with_where_their_time_went(caplog: pytest.LogCaptureFixture) -> None:
    """A query past the `slow` mark is one warning line: its time, the wait for a worker, the worker, the text."""
    pool = QueryPool(open_graph(), size=1, timeout=0.5, slow=0.0)
    try:
        with caplog.at_level("WARNING", logger="graph_service.query_pool"):
            assert count(pool, "SELECT (COUNT(*) AS ?n)\n   WHERE { ?s ?p ?o }") > 100
            with pytest.raises(QueryTimeout):
                pool.run(Job("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", JSON))
        slow, stopped = [record.getMessage() for record in caplog.records]
        assert re.fullmatch(r"slow SPARQL query: [\d.]+ s, of which [\d.]+ s waiting for a worker \(busy or "
                            r"loading\) and [\d.]+ s in worker \d+: SELECT \(COUNT\(\*\) AS \?n\) WHERE "
                            r"\{ \?s \?p \?o \}", slow), slow
        assert re.fullmatch(r"SPARQL query stopped at the 0.5 s limit \(worker \d+ killed\): SELECT .* \?g \?h \?i }",
                            stopped), stopped
        caplog.clear()
        pool.slow = 60.0
        with caplog.at_level("WARNING", logger="graph_service.query_pool"):
            assert count(pool) > 100
        assert caplog.records == []
    finally:
        pool.close()
