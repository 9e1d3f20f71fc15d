"""The SHACL check of an import, in core mode and in chunks, with each finding traced to its row and column.

Core-mode violations are errors (nothing is imported). Core-mode warnings are exactly the
findings strict mode adds (missing EU standard elements): they are reported, not refused.
Each chunk holds some of the import's resources plus the vocabularies and the types of what
they refer to, which is all the shapes look at.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator

import pyoxigraph as ox
import rdflib

from ..namespaces import RDF, expand
from ..resources import vocabulary_files
from ..store import parse_file
from ..validation import Finding, validate_graph
from .build import Built, Progress
from .columns import column_for
from .resolve import Index, short
from .tables import Issue

CHUNK = 2000
"""Resources validated together: small enough to spread over processes and show progress."""
_SPAWN = mp.get_context("spawn")
Plain = tuple[str, str, str, str]
"""A triple as plain text: subject, predicate, object, and the object's kind ("" IRI, "@lang", "^datatype")."""


@functools.cache
def _vocabularies() -> tuple[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node], ...]:
    """The vocabulary triples (ontology/ without the shapes), as rdflib terms, read once per process."""
    return tuple(_rdflib(_plain(q.triple)) for path in vocabulary_files() if path.name != "shapes.ttl"
                 for q in parse_file(path))


def _plain(triple: ox.Triple) -> Plain:
    """A triple of IRIs and literals as plain text, cheap to send to another process."""
    obj = triple.object
    kind = "" if isinstance(obj, ox.NamedNode) else f"@{obj.language}" if obj.language else f"^{obj.datatype.value}"
    return triple.subject.value, triple.predicate.value, obj.value, kind


def _rdflib(triple: Plain) -> tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]:
    """A plain triple as the rdflib terms pySHACL reads."""
    subject, predicate, value, kind = triple
    obj = (rdflib.URIRef(value) if not kind else rdflib.Literal(value, lang=kind[1:]) if kind[0] == "@"
           else rdflib.Literal(value, datatype=rdflib.URIRef(kind[1:])))
    return rdflib.URIRef(subject), rdflib.URIRef(predicate), obj


def _chunks(built: Built, index: Index) -> Iterator[tuple[list[str], list[Plain]]]:
    """The described resources in chunks, each with its triples and the types of the IRIs it refers to."""
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in built.triples:
        by_subject[triple.subject.value].append(triple)
    subjects = list(by_subject)
    for start in range(0, len(subjects), CHUNK):
        part = subjects[start:start + CHUNK]
        triples = [t for s in part for t in by_subject[s]]
        referred = {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)} - set(part)
        types = [(iri, RDF + "type", cls, "") for iri in sorted(referred)
                 for cls in ([built.types[iri]] if iri in built.types else index.classes(iri))]
        yield part, [_plain(t) for t in triples] + types


def _validate(subjects: list[str], triples: list[Plain]) -> list[Finding]:
    """Validate one chunk with the vocabularies in core mode; the findings about the chunk's resources."""
    graph = rdflib.Graph()
    for triple in _vocabularies():
        graph.add(triple)
    for triple in triples:
        graph.add(_rdflib(triple))
    report = validate_graph(graph, {rdflib.URIRef(s): s for s in subjects}, mode="core")
    return [f for f in report.findings if f.source is not None]


def _issue(built: Built, finding: Finding) -> Issue:
    """A SHACL finding as an issue at the row and column it came from."""
    sheet, row, column = built.origins[finding.source or ""]
    column = column or (column_for(sheet.kind, expand(finding.path)) if finding.path else None)
    return Issue(sheet.origin, row, sheet.place(column) if column else None, finding.value,
                 f"{short(finding.source or '')}: {finding.message}")


def _results(chunks: list[tuple[list[str], list[Plain]]]) -> Iterator[list[Finding]]:
    """Each chunk's findings, in order; from worker processes when there are several chunks and CPUs."""
    workers = min(len(chunks), os.cpu_count() or 1)
    if workers < 2:
        yield from (_validate(*chunk) for chunk in chunks)
        return
    with ProcessPoolExecutor(workers, mp_context=_SPAWN) as pool:
        futures = [pool.submit(_validate, *chunk) for chunk in chunks]
        yield from (future.result() for future in futures)


def check(built: Built, index: Index, progress: Progress | None = None) -> tuple[list[Issue], list[Issue]]:
    """Validate the import against the shapes in core mode: (errors, strict-mode warnings)."""
    chunks = list(_chunks(built, index))
    findings: list[Finding] = []
    total, done = len(built.origins), 0
    if progress:
        progress("SHACL check", 0, total)
    for found, (subjects, _) in zip(_results(chunks), chunks):  # results first: its pool closes at the end
        findings += found
        done += len(subjects)
        if progress:
            progress("SHACL check", done, total)
    errors = [_issue(built, f) for f in findings if f.severity == "Violation"]
    warnings = [_issue(built, f) for f in findings if f.severity != "Violation"]
    return errors, warnings
