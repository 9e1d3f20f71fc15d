"""SHACL validation with pySHACL, returning a typed report and a text a person can act on.

Two modes: ``strict`` checks every EU standard element; ``core`` (used when serving or
planning over a catalogue in the contract's core vocabulary) downgrades the shapes marked
``mm:euStandardElement true`` to warnings, so a lean catalogue is accepted with notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from .namespaces import MM, PREFIXES
from .resources import resource_dir, vocabulary_files
from .store import parse_file

Mode = Literal["strict", "core"]
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_EU_ELEMENT = rdflib.URIRef(MM + "euStandardElement")


@dataclass(frozen=True)
class Finding:
    """One SHACL result: how bad, which node, which property, what was found, what is expected."""

    severity: str
    focus_node: str
    path: str | None
    value: str | None
    message: str
    shape: str
    source: str | None


@dataclass(frozen=True)
class Report:
    """A validation report: conformance plus sorted findings, and a human-readable text."""

    conforms: bool
    findings: tuple[Finding, ...]

    def count(self, severity: str) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def text(self) -> str:
        """The report as sorted plain text, one block per finding."""
        verdict = "conforms" if self.conforms else "does not conform"
        lines = [f"{self.count('Violation')} violation(s), {self.count('Warning')} warning(s): {verdict}"]
        for f in self.findings:
            lines.append(f"{f.severity}: {f.focus_node}" + (f"  in {f.source}" if f.source else ""))
            if f.path:
                lines.append(f"  property: {f.path}")
            lines.append(f"  found:    {f.value if f.value is not None else '(nothing)'}")
            lines.append(f"  expected: {f.message}")
            lines.append(f"  shape:    {f.shape}")
        return "\n".join(lines)


def _to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """Copy parsed quads into an rdflib graph (graph names dropped) for pySHACL."""
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


def _bind_prefixes(graph: rdflib.Graph) -> None:
    """Bind the service's prefixes so report values read as short names."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


_NAMES = rdflib.Graph()
_bind_prefixes(_NAMES)


def shapes_graph(mode: Mode) -> rdflib.Graph:
    """The bundled shapes; in core mode EU-element shapes become warnings."""
    shapes = rdflib.Graph().parse(resource_dir("ontology") / "shapes.ttl", format="turtle")
    if mode == "core":
        for shape in list(shapes.subjects(_EU_ELEMENT, rdflib.Literal(True))):
            shapes.set((shape, SH.severity, SH.Warning))
    return shapes


def validate_files(paths: Iterable[str | Path], mode: Mode = "strict") -> Report:
    """Validate catalogue files, together with the bundled vocabularies, against the shapes.

    :raises LoadError: if a file does not parse (with its file, line and column).
    """
    data = rdflib.Graph()
    sources: dict[rdflib.term.Node, str] = {}
    for path in paths:
        graph = _to_rdflib(parse_file(path))
        sources.update({s: str(path) for s in graph.subjects()})
        data += graph
    for path in vocabulary_files():
        if path.name != "shapes.ttl":
            data += _to_rdflib(parse_file(path))
    return validate_graph(data, sources, mode)


def validate_graph(data: rdflib.Graph, sources: dict[rdflib.term.Node, str] | None = None,
                   mode: Mode = "strict") -> Report:
    """Validate an rdflib graph that already includes the vocabularies."""
    from pyshacl import validate as shacl_validate  # here: only `validate` and validating `serve` run pyshacl

    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes_graph(mode), inference="none", advanced=True, allow_warnings=True
    )
    findings = sorted(
        (_finding(results, r, sources or {}) for r in results.subjects(rdflib.RDF.type, SH.ValidationResult)),
        key=lambda f: (_SEVERITY_ORDER.get(f.severity, 3), f.source or "", f.focus_node, f.path or "", f.message),
    )
    return Report(bool(conforms), tuple(findings))


def short(term: rdflib.term.Node | None) -> str | None:
    """A term as the report shows it: a prefixed name where one of the service's prefixes fits, else N3."""
    if term is None:
        return None
    if isinstance(term, rdflib.BNode):
        return "(a blank node / property path)"
    return term.n3(_NAMES.namespace_manager)


def _finding(results: rdflib.Graph, node: rdflib.term.Node, sources: dict[rdflib.term.Node, str]) -> Finding:
    """Turn one sh:ValidationResult into a Finding with short, readable names."""
    focus = results.value(node, SH.focusNode)
    severity = results.value(node, SH.resultSeverity)
    message = results.value(node, SH.resultMessage)
    return Finding(
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        focus_node=short(focus) or "",
        path=short(results.value(node, SH.resultPath)),
        value=short(results.value(node, SH.value)),
        message=str(message) if message else "see the shape",
        shape=short(results.value(node, SH.sourceShape)) or "",
        source=sources.get(focus),
    )
