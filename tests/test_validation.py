"""validation.py: SHACL reports a person can act on, strict and core modes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import rdflib

from graph_service.importers import shacl
from graph_service.importers.shapes import Data, UnsupportedShape, compile_shapes, validate
from graph_service.resources import pilot_files
from graph_service.store import LoadError, parse_file
from graph_service.validation import Finding, Mode, shapes_graph, validate_files


def test_complete_catalogue_conforms(data_dir: Path) -> None:
    report = validate_files([data_dir / "mini-catalogue.ttl"])
    assert report.conforms, report.text()
    assert report.findings == ()


def test_invalid_element_names_the_node_property_and_value(data_dir: Path) -> None:
    report = validate_files([data_dir / "invalid-element.ttl"])
    assert not report.conforms
    bad = [f for f in report.findings if f.focus_node == "<http://example.org/invalid/bad>"]
    paths = {f.path for f in bad if f.severity == "Violation"}
    assert {"mm:eqfLevel", "mm:participationForm"} <= paths
    level = next(f for f in bad if f.path == "mm:eqfLevel")
    assert level.value == "eqf:9"
    assert level.source == str(data_dir / "invalid-element.ttl")
    assert "EQF" in level.message
    text = report.text()
    assert "does not conform" in text and "<http://example.org/invalid/bad>" in text


def test_core_vocabulary_catalogue_gets_warnings_not_violations_in_core_mode(data_dir: Path) -> None:
    path = data_dir / "core-only.ttl"
    strict = validate_files([path], mode="strict")
    assert not strict.conforms
    core = validate_files([path], mode="core")
    assert core.conforms, core.text()
    assert core.count("Violation") == 0 and core.count("Warning") > 0
    assert {f.path for f in core.findings} >= {"mm:awardingBody", "mm:learningOutcome"}


def test_findings_are_sorted_and_deterministic(data_dir: Path) -> None:
    files = [data_dir / "invalid-element.ttl", data_dir / "core-only.ttl"]
    first, second = validate_files(files), validate_files(files)
    assert first == second
    keys = [(f.severity != "Violation", f.source or "", f.focus_node, f.path or "") for f in first.findings]
    assert keys == sorted(keys)


def test_broken_file_is_a_located_load_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;\n")
    with pytest.raises(LoadError) as caught:
        validate_files([bad])
    assert caught.value.path == str(bad) and caught.value.line is not None


# -- the compiled shapes the importer runs (graph_service/importers/shapes.py) ------------------------

def _compiled(paths: list[Path], mode: Mode) -> list[Finding]:
    """What the compiled shapes find in files plus the vocabularies, as findings."""
    data = Data([*shacl.vocabularies(), *(q.triple for path in paths for q in parse_file(path))])
    return [shacl.finding(r, None) for r in validate(compile_shapes(shapes_graph(mode)), data, data.subjects())]


def _key(found: Finding) -> tuple:
    return found.severity, found.focus_node, found.path, found.value, found.message, found.shape


@pytest.mark.parametrize("mode", ["strict", "core"])
@pytest.mark.parametrize("name", ["every-constraint-broken.ttl", "invalid-element.ttl", "core-only.ttl",
                                  "mini-catalogue.ttl", "pilots"])
def test_compiled_shapes_find_exactly_what_pyshacl_finds(data_dir: Path, name: str, mode: Mode) -> None:
    paths = pilot_files() if name == "pilots" else [data_dir / name]
    expected = Counter(map(_key, validate_files(paths, mode).findings))
    assert Counter(map(_key, _compiled(paths, mode))) == expected
    if name == "every-constraint-broken.ttl":
        assert len(expected) > 80


def test_every_constraint_of_the_shapes_is_broken_by_the_parity_fixture(data_dir: Path) -> None:
    shapes = {shape.rsplit("#", 1)[-1].rstrip(">") for shape in
              (f.shape for f in validate_files([data_dir / "every-constraint-broken.ttl"]).findings)}
    graph = shapes_graph("strict")
    declared = {str(s).rsplit("#", 1)[-1] for s in graph.subjects(rdflib.RDF.type, rdflib.SH.PropertyShape)}
    assert declared - shapes == set()


def test_a_shape_feature_the_checker_does_not_evaluate_is_refused() -> None:
    shapes = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:p .
        ex:p sh:path ex:q ; sh:qualifiedValueShape ex:T ; sh:qualifiedMinCount 1 .""", format="turtle")
    with pytest.raises(UnsupportedShape, match="qualifiedValueShape"):
        compile_shapes(shapes)
