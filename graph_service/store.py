"""The RDF store: the only module that touches `pyoxigraph.Store`.

Each source file lives in its own named graph so it can be replaced or removed as a unit.
Loading is atomic: a file is parsed completely before anything is written, then one
transaction writes it: a plain insert for a new graph, or for a replaced one an update that
deletes and inserts only what changed (copying a large graph through a scratch graph took
~13 s per 240 000 quads on disk). A new graph bulk-loaded in two halves commits twice; it is
marked as under way until its bookkeeping is written, and opening a store drops a graph whose
mark is still there.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import mmap
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, Mapping, TypeVar

import pyoxigraph as ox

from .cache import GraphCache
from .memory import release_free_memory
from .namespaces import GRAPH_BASE, MM, XSD

csv.field_size_limit(sys.maxsize)  # value_rows reads literals of any length (csv stops at 128 KiB by default)
_SCRATCH_PREFIX = "graph-service-rows-"  # then the writing process's pid: value_rows' files in the temp folder

META_GRAPH = ox.NamedNode(GRAPH_BASE + "meta")
_STAGING_PREFIX = GRAPH_BASE + "staging/"
_SOURCE = ox.NamedNode(MM + "sourceFile")
_HOLDS_GRAPH = ox.NamedNode(MM + "holdsGraph")
_LOADED = ox.NamedNode("http://purl.org/dc/terms/modified")
_DIGEST = ox.NamedNode(MM + "sourceSha256")
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

# Formats that hold only triples: loaded straight into the source's graph when it is new.
_TRIPLE_FORMATS = (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.RDF_XML)
_SMALL_FILE = 1 << 20  # bytes: a new source smaller than this is loaded in one transaction, not bulk-loaded
# bytes: a new N-Triples source in a store directory, in this range, is bulk-loaded as two halves side by side
# on a machine with 2 or 3 CPUs (see `_halves`); below it, serve's start-up waits for its web imports anyway
_HALVES_FROM, _HALVES_BELOW = 16 << 20, 128 << 20
_HALF_PREFIX = "half-"  # then the loading process's pid: a half's copy in the store directory while it loads
_LOADING = ox.NamedNode(MM + "loadingSince")  # bookkeeping: a bulk load under way; at open, its graph is removed
Term = ox.NamedNode | ox.BlankNode | ox.Literal
# How many quads each named graph holds, counted in one pass by the engine (rows ?g ?n).
_GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


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


def _blank(quad: ox.Quad) -> bool:
    """Whether a quad has a blank node (which a SPARQL DELETE DATA cannot name)."""
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of INSERT DATA / DELETE DATA: one GRAPH block per named graph."""
    by_graph: dict[ox.NamedNode | ox.DefaultGraph, list[ox.Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(quad.triple)
    blocks = []
    for graph, triples in by_graph.items():
        text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
        blocks.append(text if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} {{ {text} }}")
    return "\n".join(blocks)


def _delete_blank(graph: ox.NamedNode | ox.DefaultGraph) -> str:
    """The update deleting every quad with a blank node from one graph."""
    pattern = "?s ?p ?o FILTER(isBlank(?s) || isBlank(?o))"
    if isinstance(graph, ox.DefaultGraph):
        return f"DELETE {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
    return f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {graph} {{ {pattern} }} }}"


def _now() -> ox.Literal:
    """The current time as an xsd:dateTime literal, for the bookkeeping."""
    return ox.Literal(datetime.now(timezone.utc).isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))


def _meta(target: ox.NamedNode, source: str, held: set[ox.NamedNode], digest: str | None = None) -> list[ox.Quad]:
    """The bookkeeping of one source: where it came from, when, which graphs it fills, and the file's digest."""
    return [ox.Quad(target, _SOURCE, ox.Literal(source), META_GRAPH), ox.Quad(target, _LOADED, _now(), META_GRAPH),
            *(ox.Quad(target, _HOLDS_GRAPH, g, META_GRAPH) for g in sorted(held, key=str)),
            *([ox.Quad(target, _DIGEST, ox.Literal(digest), META_GRAPH)] if digest else [])]


def file_digest(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, to tell an unchanged source from a changed one.

    :raises LoadError: if the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise LoadError(str(path), f"cannot read the file: {err.strerror or err}") from err
    return digest.hexdigest()


@functools.cache
def _remove_dead_scratch() -> None:
    """Remove value_rows' scratch files that killed processes left behind (a look once per process).

    A server stopped while its warm-up reads leaves the file the engine was writing: ~100 MB
    at 10 000 roles.
    """
    remove_left_by_dead(Path(tempfile.gettempdir()), _SCRATCH_PREFIX)


def remove_left_by_dead(folder: Path, prefix: str) -> None:
    """Remove the files and folders in `folder` named `prefix`, a pid, "-", … whose process is gone.

    Scratch space is named after the process that made it, so that what a killed process left
    can be told from what a live one (another server on the machine) still uses.
    """
    for path in folder.glob(prefix + "*"):
        owner = path.name.removeprefix(prefix).partition("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _halves(path: Path, fmt: ox.RdfFormat, size: int) -> list[tuple[int, int]]:
    """The byte ranges to bulk-load side by side: the file's two halves, cut at a line's end, or the whole file.

    pyoxigraph's bulk loader encodes each batch of up to 1 M quads on one thread, and splits
    N-Triples into parts parsed side by side only from 4 CPUs on: with 2 or 3, a file under a
    batch loads on one core while the others wait. Two loads of half each take both (0.43 M
    triples into a store directory: 1.8-2.5 s against 3.4-4.3 s, the same peak memory). Past
    a batch the loader already parses one batch while it writes the last, and two loaders
    would hold twice the memory. Below 16 MiB `serve` gained nothing: it waits ~0.5 s for its
    web imports anyway, and a 6 MB file answered 0.1 s later in halves. Only N-Triples can be
    cut at any line, and only without blank nodes: each load names its blank nodes anew, so
    one label in both halves would become two nodes (any ``_:``, even in a literal, keeps the
    file whole).
    """
    whole = [(0, size)]
    if fmt != ox.RdfFormat.N_TRIPLES or not _HALVES_FROM <= size < _HALVES_BELOW:
        return whole
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) not in (2, 3):
        return whole
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data.find(b"_:") >= 0:
            return whole
        cut = data.find(b"\n", size // 2) + 1
    return [(0, cut), (cut, size)] if 0 < cut < size else whole


def _copy_range(source: Path, start: int, end: int, target: Path) -> None:
    """Copy bytes `start` to `end` of a file into a new file, in the kernel where it can.

    The halves are bulk-loaded from files of their own: read through a Python stream, each
    read of the loader's would wait for the GIL, which the web stack's imports hold at start-up
    (a 6 MB file then took longer in halves than whole); read as bytes, they would cost their
    size in memory.
    """
    with open(source, "rb") as reading, open(target, "wb") as writing:
        offset = start
        try:
            while offset < end:
                copied = os.copy_file_range(reading.fileno(), writing.fileno(), end - offset, offset)
                if copied == 0:
                    break
                offset += copied
        except (AttributeError, OSError):  # no copy_file_range here, or not between these file systems
            reading.seek(offset)
            while offset < end:
                block = reading.read(min(1 << 20, end - offset))
                if not block:
                    break
                writing.write(block)
                offset += len(block)


def _lines_before(path: Path, offset: int) -> int:
    """How many lines end before byte `offset` of a file (to report a half's error at the file's line)."""
    lines = 0
    with open(path, "rb") as stream:
        while offset > 0:
            block = stream.read(min(offset, 1 << 20))
            if not block:
                break
            lines += block.count(b"\n")
            offset -= len(block)
    return lines


def _shifted(error: SyntaxError, lines: int) -> SyntaxError:
    """A parse error of a part that starts after `lines` lines, told at the whole file's line."""
    if lines and error.lineno is not None:
        error.lineno += lines
        error.msg = re.sub(r"\bline (\d+)", lambda m: f"line {int(m.group(1)) + lines}", error.msg or "")
    return error


def is_bookkeeping(graph: str) -> bool:
    """Whether a graph IRI is the service's own (the meta graph or a load's scratch graph), not data."""
    return graph == META_GRAPH.value or graph.startswith(_STAGING_PREFIX)


_Method = TypeVar("_Method", bound=Callable)
_Counts = tuple[int, dict[ox.NamedNode | ox.BlankNode, int]]  # all quads, and quads per named graph


def _writes(method: _Method) -> _Method:
    """Mark a Store method that may change the graph: the cached quad counts are dropped after it, even if it fails."""
    @functools.wraps(method)
    def wrapper(self: Store, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        finally:
            self._counts.clear()
    return wrapper  # type: ignore[return-value]


class Store:
    """A pyoxigraph store, in memory or in a directory, holding one named graph per source."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else None
        self._store = ox.Store(str(directory)) if directory is not None else ox.Store()
        self._counts = GraphCache()  # the quad counts /health reports, dropped by every write
        self._clean_after_crash()

    def checkpoint(self, target: str | Path) -> None:
        """An immutable copy of a store directory in `target` (hard links where it can), taken live.

        Query workers read one of these: another process opening the live directory while this
        one writes it is undefined behaviour in RocksDB (compaction deletes files it reads).
        """
        self._store.backup(str(target))

    def _clean_after_crash(self) -> None:
        """Remove what a process killed while writing left behind, so that what it wrote is absent.

        That is the bulk loader's unfinished files (pyoxigraph writes ``bulk-*.sst`` in the
        store and ingests them only at the end; RocksDB ignores the names, so nothing else
        deletes them), the copies of a file's halves being loaded, the scratch graphs of earlier
        versions, which staged loads, and the graph of a bulk load still marked as under way
        (`_bulk_load_new`): whole or not, it goes.
        """
        if self.directory is not None:
            for unfinished in [*self.directory.glob("bulk-*.sst"), *self.directory.glob(_HALF_PREFIX + "*.nt")]:
                unfinished.unlink(missing_ok=True)
        for graph in list(self._store.named_graphs()):
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(_STAGING_PREFIX):
                self._store.remove_graph(graph)
        for mark in list(self._store.quads_for_pattern(None, _LOADING, None, META_GRAPH)):
            if isinstance(mark.subject, ox.NamedNode):
                self._forget(mark.subject)

    def load_file(self, path: str | Path, graph: str | None = None) -> str:
        """Load (or replace) one source file into its own named graph and return the graph IRI.

        Triples in the file's default graph go to `graph` (default: the file's URI); quads a
        TriG/N-Quads file puts in named graphs keep their graphs, and are replaced with it
        (blank-node graph names fold into `graph`).

        :raises LoadError: if the file cannot be read or parsed; the store is then unchanged.
        """
        target = ox.NamedNode(graph or Path(path).resolve().as_uri())
        fmt = rdf_format_for(path)
        counted = None
        try:
            if fmt in _TRIPLE_FORMATS and self._is_new(target):
                counted = self._load_new(path, fmt, target)
                return target.value
            digest = file_digest(path)
            if self._digest(target) != digest:  # the same bytes as last time: a restart does not re-read a large file
                self.replace_graph(target.value, parse_file(path, fmt), source=str(path), digest=digest)
            return target.value
        finally:
            self._counts.clear({"quads": counted} if counted else None)

    def _digest(self, graph: ox.NamedNode) -> str | None:
        """The digest recorded for the file a source graph was loaded from, if any."""
        return next((q.object.value for q in self._store.quads_for_pattern(graph, _DIGEST, None, META_GRAPH)), None)

    def _is_new(self, graph: ox.NamedNode) -> bool:
        """Whether no source and no data graph goes by this name yet."""
        return not (self._store.contains_named_graph(graph)
                    or any(True for _ in self._store.quads_for_pattern(graph, None, None, META_GRAPH)))

    def _load_new(self, path: str | Path, fmt: ox.RdfFormat, target: ox.NamedNode) -> _Counts | None:
        """Parse a triples file straight into a new graph, in Rust, then record the source.

        A file under 1 MiB is loaded in one transaction. A larger one goes through pyoxigraph's
        bulk loader (`_bulk_load_new`), ~2x faster and ~100 MB lighter per 0.5 M triples than
        Python quads, which writes new files into a store directory each time: 12 ms even for
        a vocabulary of a few hundred triples, 0.2 s of a server's start-up. Either way a file
        that does not parse writes nothing. The file's digest is taken on a second thread
        meanwhile (both release the GIL; it is 2.5 s of SHA-256 at 5 M triples). A crash between
        a small file's transaction and its bookkeeping leaves the graph unrecorded: absent from
        `sources()`, and replaced as usual when the file is loaded again.

        When the quad counts before the load were known (counted, or the store was empty),
        returns them as they are after it, from one count of the store's quads: cheaper than
        counting per graph, which the first /health would do (7 s at 4 M quads while warm-up
        runs beside it).

        :raises LoadError: with the file, line and column when the file does not parse.
        """
        before = self._counts.peek("quads") or ((0, {}) if next(iter(self._store), None) is None else None)
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(file_digest, path)
            try:
                size = Path(path).stat().st_size
                if size < _SMALL_FILE:
                    self._store.load(path=str(path), format=fmt, base_iri=Path(path).resolve().as_uri(), to_graph=target)
                    mark = None
                else:
                    mark = self._bulk_load_new(Path(path), fmt, target, size)
            except SyntaxError as err:
                raise LoadError(str(path), err.msg or str(err), err.lineno, err.offset) from err
            except OSError as err:
                raise LoadError(str(path), f"cannot read the file: {err.strerror or err}") from err
            meta = _meta(target, str(path), {target}, digest.result())
            if mark is None:
                self._store.extend(meta)  # a few quads: a transaction, where a bulk write would add files
            else:  # the bookkeeping replaces the mark in one transaction
                self._store.update(f"DELETE DATA {{ {_data_block([mark])} }} ;\nINSERT DATA {{ {_data_block(meta)} }}")
        release_free_memory()
        if before is None:
            return None
        total, sizes = before[0], dict(before[1])
        after = len(self._store)
        sizes[target] = after - total - len(meta)  # the graph is new, and so is its bookkeeping
        sizes[META_GRAPH] = sizes.get(META_GRAPH, 0) + len(meta)
        return after, sizes

    def _bulk_load_new(self, path: Path, fmt: ox.RdfFormat, target: ox.NamedNode, size: int) -> ox.Quad:
        """Bulk-load a file into a new graph, marked in the bookkeeping as under way; return the mark.

        Into a store directory on 2 or 3 CPUs a mid-sized N-Triples file loads as two halves
        side by side (`_halves`). Each load commits on its own, so until the source's
        bookkeeping replaces the mark, a process killed meanwhile leaves it, and the next open
        removes the graph, halves and all (`_clean_after_crash`). If a half does not parse,
        the graph and the mark go at once, and the error names the line in the whole file.
        """
        mark = ox.Quad(target, _LOADING, _now(), META_GRAPH)
        self._store.add(mark)
        base = path.resolve().as_uri()
        parts = _halves(path, fmt, size) if self.directory is not None else [(0, size)]

        def load_half(start: int, end: int, number: int) -> None:
            half = self.directory / f"{_HALF_PREFIX}{os.getpid()}-{number}.nt"
            try:
                _copy_range(path, start, end, half)
                self._store.bulk_load(path=str(half), format=fmt, base_iri=base, to_graph=target)
            finally:
                half.unlink(missing_ok=True)

        try:
            if len(parts) == 1:
                self._store.bulk_load(path=str(path), format=fmt, base_iri=base, to_graph=target)
            else:
                with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="bulk-load") as pool:
                    loads = [pool.submit(load_half, *part, number) for number, part in enumerate(parts)]
                    failed = next(((part, f.exception()) for part, f in zip(parts, loads) if f.exception()), None)
                if failed is not None:
                    (start, _), error = failed
                    raise _shifted(error, _lines_before(path, start)) if isinstance(error, SyntaxError) else error
        except BaseException:
            self._forget(target)
            raise
        return mark

    @_writes
    def replace_graph(self, graph: str, quads: Iterable[ox.Quad | ox.Triple], source: str,
                      digest: str | None = None) -> None:
        """Atomically make `graph` (and any named graphs the quads carry) hold exactly `quads`.

        Triples, and quads in the default graph or a blank-node graph, go to `graph`. Graphs
        the source held before and holds no more are dropped; the source's bookkeeping is
        rewritten in the same transaction.
        """
        target = ox.NamedNode(graph)
        new = [q if isinstance(q, ox.Quad) and isinstance(q.graph_name, ox.NamedNode)
               else ox.Quad(q.subject, q.predicate, q.object, target) for q in quads]
        filled = {q.graph_name for q in new}
        held = filled | {target}
        scope = set(self._graphs_of(target)) | held
        old = {q for g in scope for q in self._store.quads_for_pattern(None, None, None, g)}
        old |= set(self._store.quads_for_pattern(target, None, None, META_GRAPH))
        self._swap(old, new + _meta(target, source, held, digest), drop=scope - filled)

    def _swap(self, old: set[ox.Quad], new: list[ox.Quad], drop: set[ox.NamedNode] = frozenset()) -> None:
        """Turn quads `old` into quads `new` (and drop graphs `drop`) in one transaction, writing only the difference.

        Into empty graphs it is one bulk load: pyoxigraph (from 0.5.1) commits it at the end in
        one step, on disk as a single RocksDB ingestion of all its files, ~4 times faster than a
        transaction. Otherwise one SPARQL update deletes and inserts the difference. DELETE DATA
        cannot name a blank node, so in a graph that loses one, every quad with a blank node is
        deleted and the new ones inserted.
        """
        old = {q for q in old if q.graph_name not in drop}
        if not (old or drop):
            self._store.bulk_extend(new)
            return
        fresh = set(new)
        remove, add = old - fresh, fresh - old
        blank_graphs = {q.graph_name for q in remove if _blank(q)}
        remove = {q for q in remove if not _blank(q)}
        add |= {q for q in fresh if q.graph_name in blank_graphs and _blank(q)}
        # Only parsed terms go into this text (their str() is validated N-Triples syntax):
        # pyoxigraph's update() takes no bindings, and one update makes the swap atomic.
        ops = [f"DROP SILENT GRAPH {g}" for g in sorted(drop, key=str)]
        ops += [f"DELETE DATA {{ {_data_block(remove)} }}"] if remove else []
        ops += [_delete_blank(g) for g in sorted(blank_graphs, key=str)]
        ops += [f"INSERT DATA {{ {_data_block(add)} }}"] if add else []
        if ops:
            self._store.update(" ;\n".join(ops))

    @_writes
    def replace_all(self, quads: Iterable[ox.Quad]) -> None:
        """Atomically make the whole store, bookkeeping graph included, hold exactly `quads` (a restore).

        Into an empty store the blank nodes keep their labels; replacing data gives them new ones.
        """
        new = list(quads)
        emptied = {g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)} - {q.graph_name for q in new}
        self._swap(set(self._store), new, drop=emptied)

    def is_empty(self) -> bool:
        """Whether the store holds no quad and no named graph at all."""
        return len(self._store) == 0 and next(iter(self._store.named_graphs()), None) is None

    def _graphs_of(self, graph: ox.NamedNode) -> list[ox.NamedNode]:
        """List the named graphs a source graph brought in (itself included)."""
        held = [q.object for q in self._store.quads_for_pattern(graph, _HOLDS_GRAPH, None, META_GRAPH)]
        return [g for g in held if isinstance(g, ox.NamedNode)] or [graph]

    @_writes
    def remove_source(self, graph: str) -> bool:
        """Remove a source and every graph it brought in; return False if it was not loaded."""
        target = ox.NamedNode(graph)
        if not any(True for _ in self._store.quads_for_pattern(target, None, None, META_GRAPH)):
            return False
        self._forget(target)
        return True

    def _forget(self, target: ox.NamedNode) -> None:
        """Drop a source's graphs and its bookkeeping in one update."""
        ops = [f"DROP SILENT GRAPH {g}" for g in self._graphs_of(target)]
        ops.append(f"DELETE WHERE {{ GRAPH {META_GRAPH} {{ {target} ?p ?o }} }}")
        self._store.update(" ;\n".join(ops))

    def _quad_counts(self) -> _Counts:
        """All quads, and quads per named graph, counted once per version of the graph.

        Counting reads every quad (a quarter of a second at 0.5 M): /health calls this, and
        a health check polled every few seconds must not cost that each time.
        """
        def count() -> _Counts:
            # one pass over the named graphs; the default graph is counted on its own index
            sizes = {row["g"]: int(row["n"].value) for row in self._store.query(_GRAPH_SIZES)}
            default = sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
            return default + sum(sizes.values()), sizes
        return self._counts.get("quads", count)

    def sources(self) -> list[Source]:
        """List the loaded sources, sorted by graph IRI (quad counts cached until the next write)."""
        sizes = self._quad_counts()[1]
        found = []
        for quad in self._store.quads_for_pattern(None, _SOURCE, None, META_GRAPH):
            graph = quad.subject
            found.append(Source(graph.value, quad.object.value, sum(sizes.get(g, 0) for g in self._graphs_of(graph))))
        return sorted(found, key=lambda s: s.graph)

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *, internal: bool = False):
        """Run a SPARQL query with parameters bound as RDF terms (never pasted into the text).

        The default graph is the union of every source's graphs (the bookkeeping graph left
        out), so queries see all sources at once. `internal` queries (the bundled named
        queries the service runs) take pyoxigraph's union of all graphs instead, read from one
        index: 7x faster on disk than listing the graphs; it includes the bookkeeping triples
        (about graph IRIs: mm:sourceFile, mm:holdsGraph, dct:modified), which none of them asks
        for. A bound variable must be projected by the query (SEP-0007 substitution).

        :raises SyntaxError: if the query does not parse.
        """
        subs = {ox.Variable(name): term for name, term in (bindings or {}).items()}
        named = self.named_graphs()
        if internal:
            return self._store.query(sparql, substitutions=subs, use_default_graph_as_union=True, named_graphs=named)
        return self._store.query(sparql, substitutions=subs, default_graph=[ox.DefaultGraph(), *named],
                                 named_graphs=named)

    def named_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """Every named graph that holds data (the bookkeeping graph left out)."""
        return [g for g in self._store.named_graphs() if not (isinstance(g, ox.NamedNode) and is_bookkeeping(g.value))]

    def select(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        """Run one of the service's own SELECT queries and return its rows as dicts of bound variables.

        Catalogue-wide queries (no parameters) read pyoxigraph's union index; a query about one
        resource (bound parameters: an IRI a user named) keeps the dataset without bookkeeping,
        so a graph's IRI shows nothing of the service's own records about it. A solution is
        read by position: by variable name each value costs more than the query's own work for it.
        """
        solutions = self.query(sparql, bindings, internal=not bindings)
        names = [v.value for v in solutions.variables]
        return [{n: term for n, term in zip(names, row) if term is not None} for row in solutions]

    def value_rows(self, sparql: str) -> Iterator[dict[str, str]]:
        """The rows of one of the service's own catalogue-wide SELECT queries, as the values' text.

        IRIs as they are, literals by their lexical form, blank nodes as ``_:id`` (SPARQL CSV
        results); unbound and empty values are left out. For the reads that fill the service's
        caches (0.1-1 M rows): pyoxigraph evaluates a query while its rows are iterated, holding
        the GIL, but writes CSV results without it. So the query runs into a scratch file, beside
        other such reads on the other core, and the rows come back one at a time from the csv
        module, in C, rather than as a term object per value. At S = 1 000 on disk the labels,
        facets and records took 4.5 s read one after the other as terms, 1.8 s side by side.
        """
        _remove_dead_scratch()
        handle, scratch = tempfile.mkstemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-", suffix=".csv")
        os.close(handle)
        try:
            self.query(sparql, internal=True).serialize(output=scratch, format=ox.QueryResultsFormat.CSV)
            with open(scratch, newline="", encoding="utf-8") as stream:
                os.unlink(scratch)  # read through the open file: nothing is left if the process is killed now
                reader = csv.reader(stream)
                names = next(reader, [])
                for row in reader:
                    yield {n: value for n, value in zip(names, row) if value}
        finally:
            Path(scratch).unlink(missing_ok=True)

    @_writes
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

    @_writes
    def put_default_graph(self, triples: Iterable[ox.Triple]) -> None:
        """Atomically make the store's own default graph hold exactly `triples`."""
        default = ox.DefaultGraph()
        self._swap(set(self._store.quads_for_pattern(None, None, None, default)),
                   [ox.Quad(t.subject, t.predicate, t.object, default) for t in triples])

    @_writes
    def add_triples(self, graph: str | None, triples: Iterable[ox.Triple]) -> None:
        """Add triples to a named graph (created if new) or to the default graph (None).

        A source graph written this way no longer matches its file, so its digest is dropped in
        the same transaction: the file is read again at the next load.
        """
        name = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
        if graph is not None and not self._store.contains_named_graph(name):
            self._store.add_graph(name)
        stale = list(self._store.quads_for_pattern(name, _DIGEST, None, META_GRAPH)) if graph is not None else []
        added = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
        if stale:
            self._swap(set(stale), added)
        else:
            self._store.extend(added)

    @_writes
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
        return self._quad_counts()[0]

    def flush(self) -> None:
        """Make sure everything written so far is on disk (no-op in memory)."""
        self._store.flush()
