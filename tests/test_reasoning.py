"""reasoning.py: HermiT (via owlready2) finds the mm: ontology and the frameworks consistent."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from graph_service.reasoning import check_consistency
from graph_service.resources import pilot_files, vocabulary_files

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java: run `make test`, which installs it")


def test_ontology_frameworks_and_pilots_are_consistent() -> None:
    files = [p for p in vocabulary_files() if p.name != "shapes.ttl"] + pilot_files()
    result = check_consistency(files)
    assert result.consistent, result.message


def test_an_inconsistent_ontology_is_reported_and_leaves_no_file_behind(tmp_path: Path) -> None:
    """owlready2 leaves the file it gave HermiT in the temporary folder when HermiT refuses the ontology;
    the check removes it (the file would name this test's own individual)."""
    individual = f"http://example.org/{tmp_path.name}"
    bad = tmp_path / "bad.ttl"
    bad.write_text(f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <http://example.org/> .
ex:A a owl:Class . ex:B a owl:Class . ex:A owl:disjointWith ex:B .
<{individual}> a ex:A, ex:B .
""")
    result = check_consistency([bad])
    assert not result.consistent
    assert "inconsistent" in result.message
    left = [f for f in Path(tempfile.gettempdir()).iterdir()
            if f.is_file() and f.stat().st_size < 100_000 and individual.encode() in f.read_bytes()]
    assert left == []
