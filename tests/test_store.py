"""store.py: atomic, located loading into one named graph per source, in memory or on disk."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph_service.sparql_protocol import csv_text
from graph_service import store as store_module
from graph_service.store import LoadError, Store, parse_file

TTL = '@prefix : <http://example.org/> .\n:a :p :b .\n:a :p "två"@sv .\n'
BROKEN = '@prefix : <http://example.org/> .\n:a :p :b .\n:c :p "unterminated .\n'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_file_gets_its_own_named_graph(empty_store: Store, tmp_path: Path) -> None:
    graph = empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    assert graph == (tmp_path / "a.ttl").resolve().as_uri()
    [source] = empty_store.sources()
    assert (source.graph, source.quads) == (graph, 2)
    rows = empty_store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert {r["g"].value for r in rows} == {graph}


def test_broken_file_names_file_line_column_and_changes_nothing(empty_store: Store, tmp_path: Path) -> None:
    good = write(tmp_path, "good.ttl", TTL)
    empty_store.load_file(good, "http://example.org/graph/catalogue")
    before = empty_store.dump()
    bad = write(tmp_path, "bad.ttl", BROKEN)
    with pytest.raises(LoadError) as caught:
        empty_store.load_file(bad, "http://example.org/graph/catalogue")
    err = caught.value
    assert err.path == str(bad) and err.line == 3 and err.column is not None
    assert str(err).startswith(f"{bad}:3:")
    assert empty_store.dump() == before


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "directory"])
@pytest.mark.parametrize("lines", [50, 20_000], ids=["small, one transaction", "large, bulk-loaded"])
def test_a_new_file_loads_whole_or_not_at_all_however_it_is_loaded(tmp_path: Path, on_disk: bool,
                                                                   lines: int) -> None:
    """Small new files load in a transaction, files from 1 MiB up through the bulk loader: the same outcome."""
    store = Store(tmp_path / "store" if on_disk else None)
    triples = "".join(f"<http://example.org/s{i}> <http://example.org/p> \"value {i}\" .\n" for i in range(lines))
    good = store.load_file(write(tmp_path, "good.nt", triples))
    assert {s.graph: s.quads for s in store.sources()} == {good: lines}
    before = store.dump()
    bad = write(tmp_path, "bad.nt", triples + "<http://example.org/s> <http://example.org/p> oops .\n")
    assert (bad.stat().st_size >= 1 << 20) == (lines > 50)
    with pytest.raises(LoadError) as caught:
        store.load_file(bad)
    assert caught.value.line == lines + 1
    assert store.dump() == before and len(store.sources()) == 1


def _triples(count: int, start: int = 0) -> str:
    """`count` N-Triples lines of ~70 bytes, without blank nodes."""
    return "".join(f"<http://example.org/s{i}> <http://example.org/p> \"value {i}\" .\n" for i in range(start, start + count))


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on the 2-core machines the halves are for (pyoxigraph itself splits N-Triples from 4 CPUs up),
    with halves from 2 MiB rather than 16 (the same code on test files a tenth the size)."""
    monkeypatch.setattr(store_module.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(store_module, "_HALVES_FROM", 2 << 20)


def test_a_mid_sized_n_triples_file_loads_as_two_halves_into_the_same_graph(tmp_path: Path, two_cpus: None) -> None:
    path = write(tmp_path, "big.nt", _triples(60_000))  # ~4 MiB
    assert len(store_module._halves(path, ox.RdfFormat.N_TRIPLES, path.stat().st_size)) == 2
    halves = Store(tmp_path / "halves")
    graph = halves.load_file(path)
    whole = Store(None)  # in memory: one load of the whole file
    assert whole.load_file(path) == graph
    def data(store: Store) -> set[ox.Quad]:
        return {q for q in store._store if q.graph_name != store_module.META_GRAPH}

    assert data(halves) == data(whole) and len(data(halves)) == 60_000
    assert [(s.graph, s.quads) for s in halves.sources()] == [(graph, 60_000)]
    assert not list(halves._store.quads_for_pattern(None, store_module._LOADING, None, None)), "the mark is gone"


@pytest.mark.parametrize("where", ["first half", "second half"])
def test_a_half_that_does_not_parse_names_the_files_line_and_changes_nothing(tmp_path: Path, two_cpus: None,
                                                                           where: str) -> None:
    store = Store(tmp_path / "store")
    store.load_file(write(tmp_path, "good.ttl", TTL))
    before = store.dump()
    bad_line = 10_001 if where == "first half" else 100_001  # of 110 000 lines
    text = _triples(bad_line - 1) + "<http://example.org/s> <http://example.org/p> oops .\n" + _triples(110_000 - bad_line,
                                                                                                     bad_line)
    bad = write(tmp_path, "bad.nt", text)
    [(_, cut), _] = store_module._halves(bad, ox.RdfFormat.N_TRIPLES, bad.stat().st_size)
    assert (text.encode()[:cut].count(b"\n") >= bad_line) == (where == "first half")
    with pytest.raises(LoadError) as caught:
        store.load_file(bad)
    assert caught.value.line == bad_line and caught.value.column is not None
    assert f"line {bad_line} " in caught.value.message
    assert store.dump() == before


def test_blank_nodes_keep_a_file_whole_so_a_label_in_both_halves_stays_one_node(tmp_path: Path,
                                                                                 two_cpus: None) -> None:
    text = "_:x <http://example.org/p> \"first\" .\n" + _triples(60_000) + "_:x <http://example.org/p> \"last\" .\n"
    path = write(tmp_path, "blank.nt", text)
    assert store_module._halves(path, ox.RdfFormat.N_TRIPLES, path.stat().st_size) == [(0, path.stat().st_size)]
    store = Store(tmp_path / "store")
    store.load_file(path)
    subjects = {r["s"] for r in store.select('SELECT ?s WHERE { ?s <http://example.org/p> ?o FILTER(isBlank(?s)) }')}
    assert len(subjects) == 1


def test_halves_only_where_they_help(tmp_path: Path, two_cpus: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not for Turtle, small files, or 4 CPUs and more (pyoxigraph's own split), nor in memory."""
    nt = write(tmp_path, "a.nt", _triples(60_000))
    size = nt.stat().st_size
    assert store_module._halves(nt, ox.RdfFormat.TURTLE, size) == [(0, size)]
    small = write(tmp_path, "small.nt", _triples(20_000))
    assert store_module._halves(small, ox.RdfFormat.N_TRIPLES, small.stat().st_size) == [(0, small.stat().st_size)]
    monkeypatch.setattr(store_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert store_module._halves(nt, ox.RdfFormat.N_TRIPLES, size) == [(0, size)]


def test_opening_a_store_removes_a_bulk_load_still_marked_as_under_way(tmp_path: Path) -> None:
    """What a kill between the halves' commits, or before the bookkeeping, leaves: the graph goes at the next open."""
    store = Store(tmp_path / "store")
    kept = store.load_file(write(tmp_path, "a.ttl", TTL))
    half = ox.NamedNode("file:///half.nt")
    store._store.add(ox.Quad(half, store_module._LOADING, store_module._now(), store_module.META_GRAPH))
    store._store.bulk_extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                                     ox.Literal(str(i)), half) for i in range(100))
    before = {q for q in store._store if q.graph_name != half and q.subject != half}
    del store
    reopened = Store(tmp_path / "store")
    assert set(reopened._store) == before
    assert [s.graph for s in reopened.sources()] == [kept]


def test_a_bulk_load_killed_at_any_moment_leaves_its_source_whole_or_absent(tmp_path: Path) -> None:
    """SIGKILL a process bulk-loading a new N-Triples source (in halves on 2-3 CPUs) at several moments."""
    path = write(tmp_path, "big.nt", _triples(260_000))  # ~18 MiB: halves from 16 MiB; ~1.5 s to load
    assert path.stat().st_size >= store_module._HALVES_FROM
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 1.8):
        folder = tmp_path / f"store-{delay}"
        Store(folder).load_file(write(tmp_path, "a.ttl", TTL))
        child = subprocess.Popen([sys.executable, "-c", "import sys; from graph_service.store import Store; "
                                  "Store(sys.argv[1]).load_file(sys.argv[2])", str(folder), str(path)])
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        store = Store(folder)
        sizes = {s.graph: s.quads for s in store.sources()}
        graph = path.resolve().as_uri()
        in_graph = sum(1 for _ in store._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        assert in_graph in (0, 260_000), (delay, in_graph)
        assert sizes.get(graph, 0) == in_graph, (delay, sizes)
        assert len(sizes) == 1 + (in_graph > 0)


def rows(store: Store, sparql: str) -> list[dict]:
    """The rows of an ad-hoc query through Store.query, the dataset users see."""
    solutions = store.query(sparql)
    names = [v.value for v in solutions.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in solutions]


def test_reload_replaces_the_graph_as_a_unit(empty_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "a.ttl", TTL)
    empty_store.load_file(path)
    write(tmp_path, "a.ttl", '@prefix : <http://example.org/> .\n:x :p :y .\n')
    empty_store.load_file(path)
    assert [r["s"].value for r in rows(empty_store, "SELECT ?s WHERE { ?s ?p ?o }")] == ["http://example.org/x"]


def test_remove_source(empty_store: Store, tmp_path: Path) -> None:
    graph = empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    assert empty_store.remove_source(graph) is True
    assert len(empty_store.select("SELECT * WHERE { ?s ?p ?o }")) == 0
    assert empty_store.sources() == []
    assert empty_store.remove_source(graph) is False


@pytest.mark.parametrize("fmt,name", [
    (ox.RdfFormat.N_TRIPLES, "a.nt"),
    (ox.RdfFormat.N_QUADS, "a.nq"),
    (ox.RdfFormat.TRIG, "a.trig"),
    (ox.RdfFormat.JSON_LD, "a.jsonld"),
    (ox.RdfFormat.RDF_XML, "a.rdf"),
])
def test_every_supported_format_loads_the_same_triples(empty_store: Store, tmp_path: Path, fmt, name) -> None:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in parse_file(write(tmp_path, "a.ttl", TTL))]
    (tmp_path / name).write_bytes(ox.serialize(triples, format=fmt))
    empty_store.load_file(tmp_path / name)
    rows = empty_store.select("SELECT ?o WHERE { <http://example.org/a> <http://example.org/p> ?o }")
    assert sorted(r["o"].value for r in rows) == ["http://example.org/b", "två"]


def test_trig_named_graphs_are_replaced_with_their_source(empty_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "d.trig", '@prefix : <http://example.org/> .\n:a :p :b .\n:g1 { :c :p :d }\n')
    source = empty_store.load_file(path)
    graphs = {r["g"].value for r in empty_store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == {source, "http://example.org/g1"}
    write(tmp_path, "d.trig", '@prefix : <http://example.org/> .\n:g2 { :e :p :f }\n')
    empty_store.load_file(path)
    graphs = {r["g"].value for r in empty_store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == {"http://example.org/g2"}


def test_unknown_extension_is_a_load_error(empty_store: Store, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="unknown RDF file extension '.csv'"):
        empty_store.load_file(write(tmp_path, "a.csv", "x,y"))


def test_missing_file_is_a_load_error(empty_store: Store, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read the file"):
        empty_store.load_file(tmp_path / "nope.ttl")


def test_parameters_are_bound_as_terms_not_pasted(empty_store: Store, tmp_path: Path) -> None:
    empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    hostile = ox.Literal('x" } ; DROP ALL ; SELECT * { "')
    rows = empty_store.select("SELECT ?s ?o WHERE { ?s ?p ?o }", {"o": hostile})
    assert rows == []
    rows = empty_store.select("SELECT ?s ?o WHERE { ?s ?p ?o }", {"o": ox.Literal("två", language="sv")})
    assert [r["s"].value for r in rows] == ["http://example.org/a"]


def scratch_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("graph-service-rows-*"))


TRICKY = """@prefix : <http://example.org/> .
:a :p "comma, \\"quoted\\" and\\nnew line; åäö 漢字"@sv , "" , 40 , [ :p :c ] .
:long :p "%s" .
"""


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "directory"])
def test_value_rows_stream_the_values_select_gives(tmp_path: Path, on_disk: bool) -> None:
    """Catalogue-wide reads take the values' text one row at a time: what select's terms hold, blank
    nodes written _:id as in SPARQL CSV results, unbound and empty values left out, and no scratch file left."""
    store = Store(tmp_path / "store" if on_disk else None)
    store.load_file(write(tmp_path, "a.ttl", TRICKY % ("x" * 200_000)))
    query = "SELECT ?s ?o ?lang ?never WHERE { ?s <http://example.org/p> ?o BIND(lang(?o) AS ?lang) " \
            "OPTIONAL { ?s <urn:x:none> ?never } }"
    scratch_before = scratch_files()
    rows = store.value_rows(query)
    assert not isinstance(rows, list)
    got = sorted(tuple(sorted(r.items())) for r in rows)
    expected = sorted(tuple(sorted((k, csv_text(t)) for k, t in r.items() if csv_text(t))) for r in store.select(query))
    assert got == expected
    assert (("lang", "sv"), ("o", 'comma, "quoted" and\nnew line; åäö 漢字'), ("s", "http://example.org/a")) in got
    assert (("o", "40"), ("s", "http://example.org/a")) in got
    assert (("s", "http://example.org/a"),) in got  # the empty literal, left out
    assert (("o", "x" * 200_000), ("s", "http://example.org/long")) in got  # past csv's default field limit
    assert any(dict(r)["s"].startswith("_:") and dict(r)["o"] == "http://example.org/c" for r in got)
    assert scratch_files() == scratch_before


def test_value_rows_keep_no_scratch_file_once_reading(empty_store: Store, tmp_path: Path) -> None:
    """The scratch file is gone from the folder as soon as its rows are read: a kill then leaves nothing."""
    empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    before = scratch_files()
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    rows = empty_store.value_rows(query)
    assert "s" in next(rows)
    assert scratch_files() == before
    assert len(list(rows)) == len(empty_store.select(query)) - 1
    rows.close()
    assert scratch_files() == before


def test_scratch_files_of_dead_processes_are_removed(empty_store: Store, tmp_path: Path) -> None:
    """A process killed while the engine wrote its scratch file leaves it; the next process to read removes it."""
    empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = Path(tempfile.gettempdir())
    dead = folder / f"graph-service-rows-{gone.pid}-left.csv"
    living = folder / f"graph-service-rows-{os.getpid()}-busy.csv"
    for path in (dead, living):
        path.write_text("s\r\n", encoding="utf-8")
    try:
        store_module._remove_dead_scratch.cache_clear()
        assert list(empty_store.value_rows("SELECT ?s WHERE { ?s ?p ?o }"))
        assert not dead.exists() and living.exists()
    finally:
        dead.unlink(missing_ok=True)
        living.unlink(missing_ok=True)


def test_disk_store_survives_reopening(tmp_path: Path) -> None:
    directory = tmp_path / "db"
    store = Store(directory)
    graph = store.load_file(write(tmp_path, "a.ttl", TTL))
    store.flush()
    del store
    reopened = Store(directory)
    assert [s.graph for s in reopened.sources()] == [graph]
    assert len(rows(reopened, "SELECT * WHERE { ?s ?p ?o }")) == 2


def test_bookkeeping_graph_stays_out_of_query_results(empty_store: Store, tmp_path: Path) -> None:
    """Store.query (what `graph-service query` runs) hides it; select, for the bundled queries only, reads
    pyoxigraph's faster union of all graphs, which has it."""
    empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    predicates = {r["p"].value for r in rows(empty_store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")}
    assert predicates == {"http://example.org/p"}


def test_reload_with_blank_nodes_and_fewer_graphs_replaces_exactly(empty_store: Store, tmp_path: Path) -> None:
    """A replace writes only the difference; blank nodes (new at each parse) and graphs no longer carried go."""
    path = write(tmp_path, "a.trig", '@prefix : <http://example.org/> .\n{ :a :p [ :q 1 ] . :a :p :b . }\n'
                                     ':g2 { :c :p :d . }\n')
    graph = empty_store.load_file(path)
    write(tmp_path, "a.trig", '@prefix : <http://example.org/> .\n{ :a :p [ :q 2 ] . :a :p :b . }\n')
    empty_store.load_file(path)
    triples = empty_store.graph_triples(graph)
    assert len(triples) == 3 and {t.object.value for t in triples if t.predicate.value.endswith("q")} == {"2"}
    assert not empty_store.has_graph("http://example.org/g2")
    assert [s.quads for s in empty_store.sources()] == [3]


def test_an_unchanged_file_is_not_read_again_and_a_changed_or_written_one_is(empty_store: Store, tmp_path: Path) -> None:
    """A restart over a store directory skips files whose bytes it already holds (S = 1 000: 60 s saved)."""
    path = write(tmp_path, "a.ttl", TTL)
    graph = empty_store.load_file(path)

    def stamp() -> list[str]:
        return [line for line in empty_store.dump().decode().splitlines() if "modified" in line]

    first = stamp()
    empty_store.load_file(path)
    assert stamp() == first  # skipped: nothing rewritten
    empty_store.add_triples(graph, [ox.Triple(ox.NamedNode("http://example.org/new"), ox.NamedNode("http://example.org/p"),
                                              ox.Literal("x"))])
    empty_store.load_file(path)  # the graph no longer matches the file: read again, the added triple goes
    assert not [t for t in empty_store.graph_triples(graph) if t.subject.value.endswith("/new")]
    write(tmp_path, "a.ttl", '@prefix : <http://example.org/> .\n:x :p :y .\n')
    empty_store.load_file(path)
    assert [t.subject.value for t in empty_store.graph_triples(graph)] == ["http://example.org/x"]


def test_quad_counts_follow_every_kind_of_write(empty_store: Store, tmp_path: Path) -> None:
    """/health's counts are cached between writes: each write must show in the next answer."""
    def counted() -> tuple[int, dict[str, int]]:
        return len(empty_store), {s.graph: s.quads for s in empty_store.sources()}

    def truth() -> tuple[int, dict[str, int]]:
        raw = empty_store._store
        return len(raw), {s.graph: sum(1 for g in raw.named_graphs() if g.value == s.graph
                                       for _ in raw.quads_for_pattern(None, None, None, g))
                          for s in empty_store.sources()}

    graph = empty_store.load_file(write(tmp_path, "a.ttl", TTL))
    first = counted()
    assert first[1] == {graph: 2} and counted() == first == truth()
    example = ox.NamedNode("http://example.org/x")
    writes = [
        lambda: empty_store.add_triples(graph, [ox.Triple(example, example, example)]),
        lambda: empty_store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/y> <http://example.org/p> 1 }} }}"),
        lambda: empty_store.put_default_graph([ox.Triple(example, example, ox.Literal("d"))]),
        lambda: empty_store.load_file(write(tmp_path, "a.ttl", TTL + ':z :p :q .\n')),
        lambda: empty_store.replace_graph(graph, [ox.Triple(example, example, example)], source="x.ttl"),
        lambda: empty_store.drop_graph(None),
        lambda: empty_store.remove_source(graph),
    ]
    seen = [first]
    for write_once in writes:
        write_once()
        seen.append(counted())
        assert seen[-1] == truth(), seen
    assert [graph_sizes.get(graph) for _, graph_sizes in seen] == [2, 3, 4, 4, 3, 1, 1, None]
    assert len(empty_store) == 0


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "directory"])
def test_loads_of_new_files_keep_the_quad_counts_so_health_need_not_count_again(tmp_path: Path, on_disk: bool) -> None:
    """Loading into a store whose counts are known leaves them known, and equal to a full recount."""
    from graph_service.loading import fill_graph

    store = Store(tmp_path / "store" if on_disk else None)
    fill_graph(store)  # the vocabularies and the pilots, each bulk-loaded into a new graph
    nt = write(tmp_path, "extra.nt", "<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
               "<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n")  # one triple, twice
    extra = store.load_file(nt)
    seeded = store._counts.peek("quads")
    assert seeded is not None
    sources = {s.graph: s.quads for s in store.sources()}
    assert sources[extra] == 1 and len(sources) > 5
    store._counts.clear()
    assert (len(store), {s.graph: s.quads for s in store.sources()}) == (seeded[0], sources)
    assert len(store) == len(store._store)
    store._counts.clear()  # unknown counts are not guessed: the next load leaves them to be counted
    store.load_file(write(tmp_path, "more.nt", "<http://example.org/c> <http://example.org/p> \"1\" .\n"))
    assert store._counts.peek("quads") is None
    assert {s.graph: s.quads for s in store.sources()}[extra] == 1
