"""validation.py: SHACL reports a person can act on, strict and core modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.store import LoadError
from graph_service.validation import validate_files


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
