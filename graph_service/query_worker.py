"""A SPARQL query worker process: it holds its own view of the graph and answers jobs from a pipe.

Started by `query_pool.QueryPool` as ``python -m graph_service.query_worker FD SCRATCH [SEED]``: a
module entry point that imports only what answering needs (pyoxigraph and the result
renderers), not the command line, the web framework or the planner that the server's
`__main__` pulls in, which a multiprocessing spawn would import again in every worker.
"""

from __future__ import annotations

import itertools
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from .memory import limit_malloc_arenas, release_free_memory
from .sparql_protocol import (DEFAULT_GRAPH, DEFAULT_RESULT, GRAPH_TYPES, RESULT_TYPES, ProtocolError, Rendered,
                              names_dataset, negotiate, render_boolean, render_solutions, render_triples)
from .store import is_bookkeeping

_WORKER_STACK = 256 * 1024 * 1024  # reserved address space; only the pages a query touches are used
_DUMP_CHUNK = 50_000  # lines of the server's dump per bulk load
_WALK_SLICE = 1_000  # quads of one graph walked before the next graph's turn


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


def _open(scratch: Path, seed: Path | None = None) -> _Graph:
    """The worker's graph: its own store directory in `scratch`, filled from a dump if one is there.

    `seed`: once the dump is loaded and the bookkeeping removed, leave a checkpoint of the store
    there, from which the server starts the next workers on the same graph without a dump.

    The main process leaves either a checkpoint of its store directory (``store/``, hard
    links), a copy of another worker's seed (``store/``), or a dump of its in-memory store
    (``graph.nq``), so a worker keeps the graph on disk and holds next to none of it in
    memory. The public default graph is the RDF merge (a set) of the data graphs. With the
    bookkeeping graph removed from this private copy, pyoxigraph's union of all graphs is that
    merge as long as no triple sits in two graphs (it would come twice: the union is a bag),
    and it is read from one index, much faster than a list of graphs. Where graphs do share
    triples, all data triples are copied into the worker's default graph (on disk), which then
    alone is the merge.
    """
    store = ox.Store(str(scratch / "store"))
    dump = scratch / "graph.nq"
    if dump.exists():
        _load_dump(store, dump)
        dump.unlink()
    for graph in list(store.named_graphs()):
        if isinstance(graph, ox.NamedNode) and is_bookkeeping(graph.value):
            store.remove_graph(graph)
    if seed is not None:
        try:
            store.backup(str(seed))
        except OSError:  # no seed: the next workers load the dump as this one did
            pass
    named = list(store.named_graphs())
    if not _shares_triples(store, named):
        return _Graph(store, None, named)
    for graph in named:
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                          for q in store.quads_for_pattern(None, None, None, graph))
    return _Graph(store, [ox.DefaultGraph()], named)


def _load_dump(store: ox.Store, dump: Path, lines: int = _DUMP_CHUNK) -> None:
    """Bulk-load the server's N-Quads dump a slice of lines at a time, lines with blank nodes last, together.

    pyoxigraph's bulk loader holds a whole input in memory before it writes (~350 MB at
    0.4 M quads: more than the server's own graph); slices of 50 000 lines keep a worker's
    peak near 100 MB, and load no slower. Each load gives its blank nodes fresh names, so
    every line that may hold one (any ``_:``, even inside a literal) goes into the last load,
    where a node named twice stays one node. The dump is the server's own, already checked:
    lenient skips validating it again.
    """
    def load(chunk: list[bytes]) -> None:
        if chunk:
            store.bulk_load(input=b"".join(chunk), format=ox.RdfFormat.N_QUADS, lenient=True)

    blank: list[bytes] = []
    chunk: list[bytes] = []
    with dump.open("rb") as quads:
        for line in quads:
            if b"_:" in line:
                blank.append(line)
                continue
            chunk.append(line)
            if len(chunk) == lines:
                load(chunk)
                chunk = []
    load(chunk)
    load(blank)


def _shares_triples(store: ox.Store, named: list[ox.NamedNode | ox.BlankNode]) -> bool:
    """Whether a triple sits in two graphs (named ones and the default graph).

    The graphs are walked side by side, a slice of each in turn, until all but one have ended,
    and each triple walked is looked up in every graph: index lookups, where a SPARQL join of
    all quads with all quads would hash the whole store in memory (~100 MB resident at 0.4 M
    quads). A shared triple sits in two graphs, so at least one of them is walked to its end.
    The graph left unwalked is the largest, found without counting the store first (counting
    4 M quads on disk took each worker ~4 s of CPU at its start).
    """
    walks = {graph: store.quads_for_pattern(None, None, None, graph) for graph in [ox.DefaultGraph(), *named]}
    while len(walks) > 1:
        for graph, quads in list(walks.items()):
            if len(walks) == 1:
                break
            walked = list(itertools.islice(quads, _WALK_SLICE))
            if any(other.graph_name != graph for quad in walked
                   for other in store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None)):
                return True
            if len(walked) < _WALK_SLICE:
                del walks[graph]
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
        rows.append(list(solution))  # by position: reading by variable name costs ~3x more
    return render_solutions(variables, rows, fmt, truncated=False)


def serve(conn: Connection, scratch: Path, seed: Path | None = None) -> None:
    """Answer jobs on a thread whose stack is far deeper than the main thread's.

    The query engine recurses over the query's structure; the endpoint refuses texts past
    fixed limits (sparql_protocol.MAX_NESTING), and this stack leaves a wide margin above them.
    """
    threading.stack_size(_WORKER_STACK)
    answering = threading.Thread(target=_answer, args=(conn, scratch, seed), name="sparql-answer")
    answering.start()
    answering.join()


def _answer(conn: Connection, scratch: Path, seed: Path | None = None) -> None:
    """Answer jobs until told to stop (None) or the server's end of the pipe closes.

    A server that stops while this worker still loads, or while it answers, has closed its
    end: the worker then ends quietly, without a traceback in the server's log.
    """
    graph = _open(scratch, seed)
    release_free_memory()  # what loading a dump freed
    try:
        conn.send(("ready", None))
        while True:
            job = conn.recv()
            if job is None:
                return
            conn.send(_reply(graph, job))
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the server stopped, or was killed
        return


def _reply(graph: _Graph, job: Job) -> tuple[str, object]:
    """The answer to one job, or the error to send back (status and message)."""
    try:
        return "ok", execute(graph, job)
    except ProtocolError as err:
        return "error", (err.status, str(err))
    except SyntaxError as err:
        return "error", (400, f"the query does not parse: {err}")
    except (OSError, ValueError, RuntimeError) as err:
        return "error", (400, f"the query failed: {err}")


def main(argv: list[str]) -> None:
    """Entry point: ``python -m graph_service.query_worker FD SCRATCH [SEED]`` (FD: the socket to the server)."""
    fd, scratch, *seed = argv
    limit_malloc_arenas()
    serve(Connection(int(fd)), Path(scratch), Path(seed[0]) if seed else None)


if __name__ == "__main__":
    main(sys.argv[1:])
