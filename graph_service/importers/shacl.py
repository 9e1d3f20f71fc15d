"""The SHACL check of an import, in core mode, with each finding traced to its row and column.

Core-mode violations are errors (nothing is imported). Core-mode warnings are exactly the
findings strict mode adds (missing EU standard elements): they are reported, not refused.
The shapes of ontology/shapes.ttl run, compiled (shapes.py), over the import's triples plus
the vocabularies and the types of what they refer to, which is all the shapes look at.
"""

from __future__ import annotations

import functools

import pyoxigraph as ox
import rdflib

from ..namespaces import RDF
from ..resources import vocabulary_files
from ..store import parse_file
from ..validation import Finding, Mode, shapes_graph, short as short_name
from .build import Built, Progress
from .columns import column_for
from .resolve import Index, short
from .shapes import Data, Result, Shape, compile_shapes, validate
from .tables import Issue

BATCH = 2000
"""Resources checked between two progress reports."""


@functools.cache
def vocabularies() -> tuple[ox.Triple, ...]:
    """The vocabulary triples (ontology/ without the shapes), read once per process."""
    return tuple(q.triple for path in vocabulary_files() if path.name != "shapes.ttl" for q in parse_file(path))


@functools.cache
def shapes(mode: Mode) -> tuple[Shape, ...]:
    """The bundled shapes compiled for `mode`, once per process."""
    return compile_shapes(shapes_graph(mode))


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    """A pyoxigraph term as rdflib's, to be named as pySHACL's reports name it."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    plain = term.datatype.value == "http://www.w3.org/2001/XMLSchema#string"
    return rdflib.Literal(term.value, datatype=None if plain else rdflib.URIRef(term.datatype.value))


def finding(result: Result, source: str | None) -> Finding:
    """A result of the compiled shapes as the `Finding` pySHACL's report would give."""
    return Finding(severity=result.severity, focus_node=short_name(_rdflib(result.focus)) or "",
                   path=short_name(rdflib.URIRef(result.path)),
                   value=short_name(_rdflib(result.value)) if result.value is not None else None,
                   message=result.message, shape=short_name(rdflib.URIRef(result.shape)) or "", source=source)


def _data(built: Built, index: Index) -> Data:
    """The import's statements, the vocabularies, and the known types of the IRIs it refers to but does not describe."""
    referred = {q.object.value for q in built.quads if isinstance(q.object, ox.NamedNode)} - built.types.keys()
    types = [ox.Triple(ox.NamedNode(iri), ox.NamedNode(RDF + "type"), ox.NamedNode(cls))
             for iri in sorted(referred) for cls in index.classes(iri)]
    return Data([*vocabularies(), *built.quads, *types])


def _issue(built: Built, result: Result) -> Issue:
    """A SHACL result as an issue at the row and column it came from."""
    sheet, row, column = built.origins[result.focus.value]
    column = column or column_for(sheet.kind, result.path)
    return Issue(sheet.origin, row, sheet.place(column) if column else None, finding(result, None).value,
                 f"{short(result.focus.value)}: {result.message}")


def check(built: Built, index: Index, progress: Progress | None = None) -> tuple[list[Issue], list[Issue]]:
    """Validate the import against the shapes in core mode: (errors, strict-mode warnings)."""
    data = _data(built, index)
    subjects = list(dict.fromkeys(q.subject for q in built.quads))
    results: list[Result] = []
    if progress:
        progress("SHACL check", 0, len(subjects))
    for start in range(0, len(subjects), BATCH):
        results += validate(shapes("core"), data, subjects[start:start + BATCH])
        if progress:
            progress("SHACL check", min(start + BATCH, len(subjects)), len(subjects))
    errors = [_issue(built, r) for r in results if r.severity == "Violation"]
    return errors, [_issue(built, r) for r in results if r.severity != "Violation"]
