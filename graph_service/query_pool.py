"""Run public SPARQL queries in killable worker processes, so a runaway query can be stopped.

pyoxigraph cannot cancel a running query, so each query runs in a worker process holding its
own view of the graph (a checkpoint of a store directory, read in place, or a copy of an
in-memory store); a query that outlives the time limit gets its worker killed and replaced.
Writes happen in the main process; `invalidate()` makes workers reload in the background.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from .sparql_protocol import (DEFAULT_GRAPH, DEFAULT_RESULT, GRAPH_TYPES, RESULT_TYPES, ProtocolError, Rendered,
                              names_dataset, negotiate, render_boolean, render_solutions, render_triples)
from .store import GRAPH_SIZES, Store, is_bookkeeping

_CONTEXT = mp.get_context("spawn")
_LOAD_TIMEOUT = 600  # seconds a worker may take to load the graph (S = 10 000 takes tens)
_WORKER_STACK = 256 * 1024 * 1024  # reserved address space; only the pages a query touches are used


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped."""


@dataclass(frozen=True)
class Job:
    """One query as the protocol received it."""

    query: str
    accept: tuple[str, ...]
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    row_cap: int = 10_000


@dataclass
class _Graph:
    """A worker's store, and its default graph: the union of all its graphs (None), or a list."""

    store: ox.Store
    default: list[ox.NamedNode | ox.DefaultGraph] | None
    named: list[ox.NamedNode | ox.BlankNode]


def _open(scratch: Path) -> _Graph:
    """The worker's graph: its own store directory in `scratch`, filled from a dump if one is there.

    The main process leaves either a checkpoint of its store directory (``store/``, hard
    links) or a dump of its in-memory store (``graph.nq``), so a worker keeps the graph on
    disk and holds next to none of it in memory. The public default graph is the RDF merge
    (a set) of the data graphs. With the bookkeeping graph removed from this private copy,
    pyoxigraph's union of all graphs is that merge as long as no triple sits in two graphs
    (it would come twice: the union is a bag), and it is read from one index, much faster
    than a list of graphs. Where graphs do share triples, all data triples are copied into
    the worker's default graph (on disk), which then alone is the merge.
    """
    store = ox.Store(str(scratch / "store"))
    dump = scratch / "graph.nq"
    if dump.exists():
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        dump.unlink()
    for graph in list(store.named_graphs()):
        if isinstance(graph, ox.NamedNode) and is_bookkeeping(graph.value):
            store.remove_graph(graph)
    named = list(store.named_graphs())
    if not _shares_triples(store, named):
        return _Graph(store, None, named)
    for graph in named:
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                          for q in store.quads_for_pattern(None, None, None, graph))
    return _Graph(store, [ox.DefaultGraph()], named)


def _shares_triples(store: ox.Store, named: list[ox.NamedNode | ox.BlankNode]) -> bool:
    """Whether a triple sits in two graphs (named ones and the default graph).

    Each graph but the largest is walked and its triples looked up in every graph: index
    lookups, where a SPARQL join of all quads with all quads would hash the whole store in
    memory (~100 MB resident at 0.4 M quads). A shared triple always has a side that is walked.
    """
    sizes = {row["g"]: int(row["n"].value) for row in store.query(GRAPH_SIZES, named_graphs=named)}
    sizes[ox.DefaultGraph()] = len(store) - sum(sizes.values())
    graphs = sorted([ox.DefaultGraph(), *named], key=lambda g: sizes.get(g, 0))
    for graph in graphs[:-1]:
        for quad in store.quads_for_pattern(None, None, None, graph):
            if any(other.graph_name != graph
                   for other in store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None)):
                return True
    return False


def _dataset(graph: _Graph, job: Job) -> dict:
    """Dataset arguments: the protocol's graphs, the query's FROM, or the merged default graph."""
    if job.default_graphs or job.named_graphs:
        return {"default_graph": [ox.NamedNode(g) for g in job.default_graphs] or [ox.DefaultGraph()],
                "named_graphs": [ox.NamedNode(g) for g in job.named_graphs]}
    if names_dataset(job.query):
        return {}
    if graph.default is None:
        return {"use_default_graph_as_union": True, "named_graphs": graph.named}
    return {"default_graph": graph.default, "named_graphs": graph.named}


def execute(graph: _Graph, job: Job) -> Rendered:
    """Run one query on the worker's graph and render it.

    :raises ProtocolError: 406 when no accepted format fits the query form.
    :raises SyntaxError: when the query does not parse.
    """
    return render(graph.store.query(job.query, **_dataset(graph, job)), job)


def render(result: ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples | list[ox.Triple], job: Job) -> Rendered:
    """Serialise a query result in the best accepted format, stopping at the row cap.

    :raises ProtocolError: 406 when no accepted format fits the query form.
    """
    if isinstance(result, (ox.QueryTriples, list)):
        media = negotiate(job.accept, GRAPH_TYPES, DEFAULT_GRAPH)
        if media is None:
            raise ProtocolError(406, "CONSTRUCT/DESCRIBE results come as " + ", ".join(GRAPH_TYPES))
        triples = []
        for triple in result:
            if len(triples) == job.row_cap:
                return render_triples(triples, media, truncated=True)
            triples.append(triple)
        return render_triples(triples, media, truncated=False)
    media = negotiate(job.accept, RESULT_TYPES, DEFAULT_RESULT)
    if media is None:
        raise ProtocolError(406, "SELECT/ASK results come as " + ", ".join(RESULT_TYPES))
    fmt = RESULT_TYPES[media]
    if isinstance(result, ox.QueryBoolean):
        return render_boolean(bool(result), fmt)
    variables = [v.value for v in result.variables]
    rows = []
    for solution in result:
        if len(rows) == job.row_cap:
            return render_solutions(variables, rows, fmt, truncated=True)
        rows.append([solution[v] for v in variables])
    return render_solutions(variables, rows, fmt, truncated=False)


def _serve(conn: Connection, scratch: Path) -> None:
    """Worker process: answer jobs on a thread whose stack is far deeper than the main thread's.

    The query engine recurses over the query's structure; the endpoint refuses texts past
    fixed limits (sparql_protocol.MAX_NESTING), and this stack leaves a wide margin above them.
    """
    threading.stack_size(_WORKER_STACK)
    answering = threading.Thread(target=_answer, args=(conn, scratch), name="sparql-answer")
    answering.start()
    answering.join()


def _answer(conn: Connection, scratch: Path) -> None:
    """Worker main loop: answer jobs until told to stop (None)."""
    graph = _open(scratch)
    conn.send(("ready", None))
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(("ok", execute(graph, job)))
        except ProtocolError as err:
            conn.send(("error", (err.status, str(err))))
        except SyntaxError as err:
            conn.send(("error", (400, f"the query does not parse: {err}")))
        except (OSError, ValueError, RuntimeError) as err:
            conn.send(("error", (400, f"the query failed: {err}")))


@dataclass
class _Worker:
    """A worker process, the pipe to it, and the graph generation it holds."""

    process: mp.process.BaseProcess
    conn: Connection
    generation: int
    scratch: Path  # the worker's own store directory, removed with it

    def stop(self) -> None:
        """Kill the process now (it may be in the middle of a query) and remove its store."""
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class QueryPool:
    """A fixed number of query workers over one store, with a per-query time limit.

    Workers load the graph in the background (at `warm()`, after a write, after a kill), and
    loading never counts against a query's time limit: at scale it takes seconds.
    """

    def __init__(self, store: Store, size: int = 2, timeout: float = 5.0, row_cap: int = 10_000):
        self.store, self.size, self.timeout, self.row_cap = store, max(1, size), timeout, row_cap
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0
        self._loading = 0
        self._generation = 0
        self._closed = False

    def _spawn(self) -> _Worker:
        """Start a worker on the current graph and wait until it has loaded it."""
        with self._lock:
            generation = self._generation
        if self.store.directory is not None:
            # beside the store, so the checkpoint's files are hard links, not copies
            scratch = Path(tempfile.mkdtemp(prefix=".sparql-worker-", dir=self.store.directory.parent))
            self.store.checkpoint(scratch / "store")
        else:
            scratch = Path(tempfile.mkdtemp(prefix="sparql-worker-"))
            self.store.dump(scratch / "graph.nq")
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=_serve, args=(child, scratch), daemon=True, name="sparql-worker")
        process.start()
        child.close()
        worker = _Worker(process, parent, generation, scratch)
        try:
            ready = parent.poll(_LOAD_TIMEOUT) and parent.recv()[0] == "ready"
        except (EOFError, OSError):  # it died while loading (or the server is stopping)
            ready = False
        if not ready:
            worker.stop()
            raise RuntimeError(f"a SPARQL worker process did not load the graph within {_LOAD_TIMEOUT} s")
        return worker

    def _reserve(self) -> bool:
        """Take a free worker slot, if there is one."""
        with self._lock:
            free = self._live < self.size and not self._closed
            self._live += free
        return free

    def _start(self) -> _Worker:
        """Start a worker in a reserved slot (the slot is freed again if it fails)."""
        with self._lock:
            self._loading += 1
        try:
            return self._spawn()
        except BaseException:
            with self._lock:
                self._live -= 1
            raise
        finally:
            with self._lock:
                self._loading -= 1

    def _current(self, worker: _Worker) -> bool:
        """Whether an idle worker holds the current graph and is alive."""
        return worker.generation == self._generation and worker.process.is_alive()

    def _checkout(self, deadline: float) -> _Worker:
        """An idle worker on the current graph: reused, replaced if stale, or started.

        Waiting counts against `deadline` only while every worker is busy with a query, not
        while one is loading the graph.
        """
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                if self._reserve():
                    return self._start()
                if time.monotonic() >= deadline and not self._loading:
                    raise QueryTimeout(f"every query worker stayed busy for {self.timeout:g} s; try again")
                try:
                    worker = self._idle.get(timeout=0.1)
                except queue.Empty:
                    continue
            if self._current(worker):
                return worker
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Stop a worker and free its slot."""
        worker.stop()
        with self._lock:
            self._live -= 1

    def _fill(self) -> None:
        """Replace stale idle workers and start workers up to the pool size."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            if self._current(worker):
                self._idle.put(worker)
            else:
                self._retire(worker)
        while self._reserve():
            try:
                worker = self._start()
            except RuntimeError:
                return  # the next query starts one itself, and reports the failure
            self._idle.put(worker)
            if self._closed:
                self.close()

    def warm(self) -> None:
        """Load the graph into every worker now, in the background."""
        threading.Thread(target=self._fill, daemon=True, name="sparql-warm").start()

    def run(self, job: Job) -> Rendered:
        """Answer one query within the time limit (waiting for a busy worker counts, loading does not).

        :raises QueryTimeout: if it took longer (the worker is killed and replaced).
        :raises ProtocolError: for a query that does not parse (400) or no acceptable format (406).
        """
        worker = self._checkout(time.monotonic() + self.timeout)
        deadline = time.monotonic() + self.timeout
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.01)):
                self._retire(worker)
                self.warm()
                raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as err:
            self._retire(worker)
            self.warm()
            raise ProtocolError(500, "the query engine stopped on this query (its worker process died and was "
                                     f"replaced{': ' + str(err) if str(err) else ''}); simplify the query") from err
        self._idle.put(worker)
        if status == "error":
            raise ProtocolError(*payload)
        return payload

    def invalidate(self) -> None:
        """The graph changed: workers reload it, in the background."""
        with self._lock:
            self._generation += 1
        self.warm()

    def close(self) -> None:
        """Stop every idle worker and start no more (busy ones stop with their query or the process)."""
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            try:
                worker.conn.send(None)
            except OSError:
                pass
            self._retire(worker)
