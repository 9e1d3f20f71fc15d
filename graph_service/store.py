"""The RDF store: the only module that touches `pyoxigraph.Store`.

Each source file lives in its own named graph so it can be replaced or removed as a unit.
Loading is atomic: a file is parsed completely before anything is written, staged into a
scratch graph, and swapped in with one (transactional) SPARQL update.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterable, Mapping

import pyoxigraph as ox

from .namespaces import GRAPH_BASE, MM

META_GRAPH = ox.NamedNode(GRAPH_BASE + "meta")
_STAGING_PREFIX = GRAPH_BASE + "staging/"
_SOURCE = ox.NamedNode(MM + "sourceFile")
_HOLDS_GRAPH = ox.NamedNode(MM + "holdsGraph")
_LOADED = ox.NamedNode("http://purl.org/dc/terms/modified")
_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class LoadError(Exception):
    """A source could not be loaded; says which file, where in it, and what was wrong."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        self.path, self.message, self.line, self.column = path, message, line, column
        where = path if line is None else f"{path}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """One loaded source: its graph, where it came from, and how many quads it holds."""

    graph: str
    path: str
    quads: int


def rdf_format_for(path: str | Path) -> ox.RdfFormat:
    """Pick the RDF format from a file name extension.

    :raises LoadError: if the extension is not one of the supported formats.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        known = ", ".join(sorted(_FORMATS))
        raise LoadError(str(path), f"unknown RDF file extension {suffix!r}; use one of {known}")
    return _FORMATS[suffix]


def parse_file(path: str | Path, fmt: ox.RdfFormat | None = None) -> list[ox.Quad]:
    """Parse a whole RDF file into quads (default-graph triples keep the default graph).

    :raises LoadError: with the file, line and column when the file does not parse.
    """
    fmt = fmt or rdf_format_for(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LoadError(str(path), f"cannot read the file: {err.strerror or err}") from err
    try:
        return list(ox.parse(input=data, format=fmt, base_iri=Path(path).resolve().as_uri()))
    except SyntaxError as err:
        raise LoadError(str(path), err.msg or str(err), err.lineno, err.offset) from err


def is_bookkeeping(graph: str) -> bool:
    """Whether a graph IRI is the service's own (the meta graph or a load's scratch graph), not data."""
    return graph == META_GRAPH.value or graph.startswith(_STAGING_PREFIX)


class Store:
    """A pyoxigraph store, in memory or in a directory, holding one named graph per source."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else None
        self._store = ox.Store(str(directory)) if directory is not None else ox.Store()
        self._drop_leftover_staging()

    def _drop_leftover_staging(self) -> None:
        """Remove scratch graphs an interrupted load may have left behind."""
        for graph in list(self._store.named_graphs()):
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(_STAGING_PREFIX):
                self._store.remove_graph(graph)

    def load_file(self, path: str | Path, graph: str | None = None) -> str:
        """Load (or replace) one source file into its own named graph and return the graph IRI.

        Triples in the file's default graph go to `graph` (default: the file's URI); quads a
        TriG/N-Quads file puts in named graphs keep their graphs, and are replaced with it
        (blank-node graph names fold into `graph`).

        :raises LoadError: if the file cannot be read or parsed; the store is then unchanged.
        """
        quads = parse_file(path)
        target = ox.NamedNode(graph or Path(path).resolve().as_uri())
        self.replace_graph(target.value, quads, source=str(path))
        return target.value

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad], source: str) -> None:
        """Atomically make `graph` (and any named graphs the quads carry) hold exactly `quads`."""
        target = ox.NamedNode(graph)
        staging: dict[ox.NamedNode, ox.NamedNode] = {}
        staged: list[ox.Quad] = []
        for quad in quads:
            name = quad.graph_name if isinstance(quad.graph_name, ox.NamedNode) else target
            stage = staging.setdefault(name, ox.NamedNode(_STAGING_PREFIX + uuid.uuid4().hex))
            staged.append(ox.Quad(quad.subject, quad.predicate, quad.object, stage))
        staging.setdefault(target, ox.NamedNode(_STAGING_PREFIX + uuid.uuid4().hex))
        self._store.extend(staged)
        old = self._graphs_of(target)
        # Only parsed ox.NamedNode terms go into this text (their str() is validated N-Triples
        # syntax): pyoxigraph's update() takes no bindings, and one update makes the swap atomic.
        ops = [f"DROP SILENT GRAPH {g}" for g in sorted(set(old) | set(staging), key=str)]
        ops += [f"MOVE SILENT GRAPH {stage} TO {name}" for name, stage in staging.items()]
        ops.append(f"DELETE WHERE {{ GRAPH {META_GRAPH} {{ {target} ?p ?o }} }}")
        meta = [
            f"{target} {_SOURCE} {ox.Literal(source)}",
            f"{target} {_LOADED} {ox.Literal(datetime.now(timezone.utc).isoformat(), datatype=ox.NamedNode('http://www.w3.org/2001/XMLSchema#dateTime'))}",
        ] + [f"{target} {_HOLDS_GRAPH} {name}" for name in staging]
        ops.append(f"INSERT DATA {{ GRAPH {META_GRAPH} {{ {' . '.join(meta)} }} }}")
        self._store.update(" ;\n".join(ops))

    def _graphs_of(self, graph: ox.NamedNode) -> list[ox.NamedNode]:
        """List the named graphs a source graph brought in (itself included)."""
        held = [q.object for q in self._store.quads_for_pattern(graph, _HOLDS_GRAPH, None, META_GRAPH)]
        return [g for g in held if isinstance(g, ox.NamedNode)] or [graph]

    def remove_source(self, graph: str) -> bool:
        """Remove a source and every graph it brought in; return False if it was not loaded."""
        target = ox.NamedNode(graph)
        if not any(True for _ in self._store.quads_for_pattern(target, None, None, META_GRAPH)):
            return False
        ops = [f"DROP SILENT GRAPH {g}" for g in self._graphs_of(target)]
        ops.append(f"DELETE WHERE {{ GRAPH {META_GRAPH} {{ {target} ?p ?o }} }}")
        self._store.update(" ;\n".join(ops))
        return True

    def sources(self) -> list[Source]:
        """List the loaded sources, sorted by graph IRI."""
        found = []
        for quad in self._store.quads_for_pattern(None, _SOURCE, None, META_GRAPH):
            graph = quad.subject
            count = sum(1 for g in self._graphs_of(graph) for _ in self._store.quads_for_pattern(None, None, None, g))
            found.append(Source(graph.value, quad.object.value, count))
        return sorted(found, key=lambda s: s.graph)

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None):
        """Run a SPARQL query with parameters bound as RDF terms (never pasted into the text).

        The default graph is the union of every source's graphs (the bookkeeping graph left
        out), so named queries see all sources at once. A bound variable must be projected by the query (SEP-0007 substitution).

        :raises SyntaxError: if the query does not parse.
        """
        subs = {ox.Variable(name): term for name, term in (bindings or {}).items()}
        named = self.named_graphs()
        return self._store.query(sparql, substitutions=subs, default_graph=[ox.DefaultGraph(), *named],
                                 named_graphs=named)

    def named_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """Every named graph that holds data (the bookkeeping graph left out)."""
        return [g for g in self._store.named_graphs() if not (isinstance(g, ox.NamedNode) and is_bookkeeping(g.value))]

    def select(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        """Run a SELECT query and return its rows as dicts of bound variables."""
        solutions = self.query(sparql, bindings)
        names = [v.value for v in solutions.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in solutions]

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction."""
        self._store.update(sparql)

    def dump(self, output: str | Path | IO[bytes] | None = None,
             fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bytes | None:
        """Serialise every quad (bookkeeping graph included) as N-Quads or another dataset format."""
        target = str(output) if isinstance(output, Path) else output
        return self._store.dump(target, format=fmt)

    def graph_triples(self, graph: str | None) -> list[ox.Triple]:
        """The triples of one named graph, or of the store's own default graph (None)."""
        name = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
        return [q.triple for q in self._store.quads_for_pattern(None, None, None, name)]

    def has_graph(self, graph: str) -> bool:
        """Whether a data named graph exists (bookkeeping graphs never do)."""
        return not is_bookkeeping(graph) and self._store.contains_named_graph(ox.NamedNode(graph))

    def put_default_graph(self, triples: Iterable[ox.Triple]) -> None:
        """Atomically make the store's own default graph hold exactly `triples`."""
        stage = ox.NamedNode(_STAGING_PREFIX + uuid.uuid4().hex)
        self._store.extend([ox.Quad(t.subject, t.predicate, t.object, stage) for t in triples])
        self._store.update(f"DROP SILENT DEFAULT ; MOVE SILENT GRAPH {stage} TO DEFAULT")

    def add_triples(self, graph: str | None, triples: Iterable[ox.Triple]) -> None:
        """Add triples to a named graph (created if new) or to the default graph (None)."""
        name = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
        if graph is not None and not self._store.contains_named_graph(name):
            self._store.add_graph(name)
        self._store.extend([ox.Quad(t.subject, t.predicate, t.object, name) for t in triples])

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph (as a source if it is one) or empty the default graph; False if absent."""
        if graph is None:
            self._store.update("DROP SILENT DEFAULT")
            return True
        if self.remove_source(graph):
            return True
        if not self.has_graph(graph):
            return False
        self._store.remove_graph(ox.NamedNode(graph))
        return True

    def __len__(self) -> int:
        return len(self._store)

    def flush(self) -> None:
        """Make sure everything written so far is on disk (no-op in memory)."""
        self._store.flush()
