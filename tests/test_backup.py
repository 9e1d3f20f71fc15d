"""backup.py and `graph-service dump` / `restore`: a store directory round-trips through one file, all or nothing."""

from __future__ import annotations

import gc
from collections import Counter
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph_service import backup
from graph_service.importers import default_graph, import_catalogue, read_files
from graph_service.loading import open_graph
from graph_service.resources import resource_dir
from graph_service.service import Service
from graph_service.store import LoadError, Store

EXE = str(Path(sys.executable).with_name("graph-service"))
TEMPLATES = [resource_dir("mappings") / "templates" / f"{kind}.csv" for kind in ("credentials", "roles", "competences")]
ROLE = "https://w3id.org/mikromerit/id/role/"
HOLDS, TARGET = [ROLE + "drifttekniker"], ROLE + "vakthavande-drifttekniker"


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A store directory with the vocabularies, the pilots and the template catalogue imported."""
    directory = tmp_path / "filled"
    store = open_graph(store_dir=directory)
    sheets = read_files(TEMPLATES)
    import_catalogue(store, sheets, default_graph(sheets))
    store.flush()
    del store  # one Store at a time may open a directory
    gc.collect()
    return directory


def _state(directory: Path) -> tuple[set[ox.Quad], list, str]:
    """A store directory's quads, sources and gap answer."""
    store = Store(directory)
    quads, sources = set(store._store), store.sources()
    answer = Service(store).gap(HOLDS, TARGET).model_dump_json()
    del store
    gc.collect()
    return quads, sources, answer


def _blank_nodes_renamed(quads: set[ox.Quad]) -> tuple[set[ox.Quad], Counter]:
    """Quads compared as SPARQL INSERT DATA keeps them: ground ones exactly, those with blank nodes counted."""
    blank = [q for q in quads if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)]
    return quads - set(blank), Counter((q.graph_name, q.predicate) for q in blank)


@pytest.mark.parametrize("name", ["backup.nq", "backup.trig"])
def test_dump_then_restore_gives_the_same_quads_sources_and_gap_answer(filled: Path, tmp_path: Path,
                                                                       name: str) -> None:
    dump = tmp_path / name
    backup.dump(filled, dump)
    restored = tmp_path / "restored"
    held = backup.restore(restored, dump)
    quads, sources, answer = _state(filled)
    assert held == len(quads) > 0
    assert _state(restored) == (quads, sources, answer)
    assert any(s.graph.endswith("/import/credentials") for s in sources)


def test_restore_refuses_a_store_with_data_unless_replace(filled: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    store = Store(other)
    store.load_file(resource_dir("ontology") / "eqf.ttl")
    del store
    gc.collect()
    dump = tmp_path / "backup.nq"
    backup.dump(filled, dump)
    before = backup.dump(other)
    with pytest.raises(backup.RestoreRefused, match="--replace"):
        backup.restore(other, dump)
    assert backup.dump(other) == before
    backup.restore(other, dump, replace=True)
    (quads, sources, answer), (expected, *rest) = _state(other), _state(filled)
    assert (_blank_nodes_renamed(quads), sources, answer) == (_blank_nodes_renamed(expected), *rest)


def test_a_bad_dump_names_file_and_line_and_changes_nothing(filled: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.nq"
    bad.write_text('<http://example.org/a> <http://example.org/p> "ok" <http://example.org/g> .\n'
                   '<http://example.org/a> <http://example.org/p> "unterminated <http://example.org/g> .\n')
    before = backup.dump(filled)
    with pytest.raises(LoadError) as caught:
        backup.restore(filled, bad, replace=True)
    assert caught.value.path == str(bad) and caught.value.line == 2
    assert backup.dump(filled) == before


def test_only_dataset_formats_are_dumps(filled: Path, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"\.nq .* \.trig"):
        backup.dump(filled, tmp_path / "backup.ttl")
    with pytest.raises(LoadError, match="no store directory"):
        backup.dump(tmp_path / "missing")


def test_cli_dump_and_restore(filled: Path, tmp_path: Path) -> None:
    dump = tmp_path / "backup.trig"
    done = subprocess.run([EXE, "dump", "--store", str(filled), "--output", str(dump)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    to_stdout = subprocess.run([EXE, "dump", "--store", str(filled)], capture_output=True)
    assert to_stdout.returncode == 0 and to_stdout.stdout.count(b"\n") == len(_state(filled)[0])
    restored = tmp_path / "restored"
    done = subprocess.run([EXE, "restore", "--store", str(restored), str(dump)], capture_output=True, text=True)
    assert done.returncode == 0 and "restored" in done.stdout, done.stderr
    again = subprocess.run([EXE, "restore", "--store", str(restored), str(dump)], capture_output=True, text=True)
    assert again.returncode == 2 and "--replace" in again.stderr
    bad = tmp_path / "bad.trig"
    bad.write_text("<http://example.org/g> { <http://example.org/a> <http://example.org/p> . }\n")
    broken = subprocess.run([EXE, "restore", "--store", str(restored), "--replace", str(bad)],
                            capture_output=True, text=True)
    assert broken.returncode == 2 and f"{bad}:1:" in broken.stderr
    assert _state(restored) == _state(filled)
