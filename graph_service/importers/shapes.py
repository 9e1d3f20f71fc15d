"""The SHACL shapes (ontology/shapes.ttl) compiled into plain Python checks, to validate an import fast.

pySHACL spends ~4 ms per resource, and 10 000 catalogue rows describe ~60 000 resources. The
shapes use a small part of SHACL Core: class and subjects-of targets, property shapes with a
plain IRI path, and the constraints in `_VALUE_CHECKS` plus counts and ``sh:uniqueLang``. So
they are read once from the shapes graph (still the only authority) into `Shape` records and
evaluated over an index of the triples. tests/test_validation.py checks that the results
equal pySHACL's on a graph breaking every constraint; a shape using anything else is refused
with `UnsupportedShape`, so shapes.ttl cannot silently outgrow this checker. One known
difference: an ill-formed number (``"1.2.3"^^xsd:decimal``) fails every range bound here,
where pySHACL compares its text; the importer never writes one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH

from ..namespaces import RDF, RDFS, XSD

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Check = Callable[[Term, "Data"], bool]
"""Whether one value node satisfies a constraint."""

_TYPE, _SUBCLASS = RDF + "type", RDFS + "subClassOf"
_RDF_TYPE = rdflib.RDF.type
_LANG_STRING = RDF + "langString"
_LEXICAL = {XSD + "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)", XSD + "integer": r"[+-]?\d+",
            XSD + "boolean": r"true|false|1|0", XSD + "date": r"-?\d{4,}-\d\d-\d\d(Z|[+-]\d\d:\d\d)?",
            XSD + "dateTime": r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?",
            XSD + "double": r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN",
            XSD + "float": r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN"}
_WELL_FORMED = {datatype: re.compile(pattern) for datatype, pattern in _LEXICAL.items()}
_NUMERIC = (XSD + "decimal", XSD + "integer", XSD + "double", XSD + "float")
_NODE_KINDS: dict[str, tuple[type, ...]] = {
    "IRI": (ox.NamedNode,), "Literal": (ox.Literal,), "BlankNode": (ox.BlankNode,),
    "BlankNodeOrIRI": (ox.BlankNode, ox.NamedNode), "BlankNodeOrLiteral": (ox.BlankNode, ox.Literal),
    "IRIOrLiteral": (ox.NamedNode, ox.Literal)}
_ANNOTATIONS = {SH.name, SH.description, SH.message, SH.severity, SH.order, SH.group, SH.path}


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature this checker does not evaluate; validate with pySHACL or extend it."""


class Data:
    """The triples being validated, indexed by subject and predicate (duplicates collapse, as in a graph).

    Quads count as their triples: an import's graph is one graph.
    """

    def __init__(self, triples: Iterable[ox.Triple | ox.Quad]):
        self._index: dict[Term, dict[str, dict[Term, None]]] = defaultdict(lambda: defaultdict(dict))
        for triple in triples:
            self._index[triple.subject][triple.predicate.value][triple.object] = None
        self._supers: dict[Term, frozenset[Term]] = {}
        self._classes: dict[Term, frozenset[Term]] = {}

    def subjects(self) -> list[Term]:
        """Every subject, in the order first seen."""
        return list(self._index)

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        """The values of a property of a node."""
        by_predicate = self._index.get(subject)
        return list(by_predicate.get(predicate, ())) if by_predicate else []

    def classes(self, node: Term) -> frozenset[Term]:
        """Every class a node is an instance of: its types and their superclasses (rdfs:subClassOf*), remembered."""
        if node not in self._classes:
            self._classes[node] = frozenset().union(*(self._superclasses(c) for c in self.objects(node, _TYPE)))
        return self._classes[node]

    def _superclasses(self, cls: Term) -> frozenset[Term]:
        """A class with all its superclasses, remembered."""
        if cls not in self._supers:
            self._supers[cls] = frozenset({cls})  # stops a cycle
            self._supers[cls] = frozenset({cls}.union(*(self._superclasses(s) for s in self.objects(cls, _SUBCLASS))))
        return self._supers[cls]


@dataclass(frozen=True)
class Result:
    """One failed constraint: which node, which property shape, which value (None for counts)."""

    severity: str
    focus: Term
    path: str
    value: Term | None
    message: str
    shape: str


@dataclass(frozen=True)
class PropertyShape:
    """A property shape: its path, counts, uniqueness of languages, and the checks each value must pass."""

    iri: str
    path: str
    severity: str
    message: str
    min_count: int | None
    max_count: int | None
    unique_lang: bool
    checks: tuple[Check, ...]

    def validate(self, focus: Term, data: Data) -> Iterator[Result]:
        """The results for one focus node, one per failed check per value, as SHACL reports them."""
        values = data.objects(focus, self.path)
        if self.min_count is not None and len(values) < self.min_count:
            yield self._result(focus, None)
        if self.max_count is not None and len(values) > self.max_count:
            yield self._result(focus, None)
        if self.unique_lang:
            languages = [v.language for v in values if isinstance(v, ox.Literal) and v.language]
            yield from (self._result(focus, None) for lang in set(languages) if languages.count(lang) > 1)
        for value in values:
            yield from (self._result(focus, value) for check in self.checks if not check(value, data))

    def _result(self, focus: Term, value: Term | None) -> Result:
        return Result(self.severity, focus, self.path, value, self.message, self.iri)


@dataclass(frozen=True)
class Shape:
    """A node shape: the nodes it targets (by class, or as subjects of a property) and its property shapes."""

    iri: str
    target_classes: frozenset[Term]
    target_subjects_of: tuple[str, ...]
    properties: tuple[PropertyShape, ...]

    def targets(self, node: Term, classes: frozenset[Term], data: Data) -> bool:
        """Whether a node is a focus node of this shape."""
        return bool(self.target_classes & classes) or any(data.objects(node, p) for p in self.target_subjects_of)


def validate(shapes: Iterable[Shape], data: Data, focus: Iterable[Term]) -> list[Result]:
    """Every result of the shapes on the given focus candidates (nodes a shape does not target are skipped)."""
    results: list[Result] = []
    for node in focus:
        classes = data.classes(node)
        for shape in shapes:
            if shape.targets(node, classes, data):
                for prop in shape.properties:
                    results += prop.validate(node, data)
    return results


# -- compiling the shapes graph -------------------------------------------------------------------

def _ox(term: rdflib.term.Node) -> Term:
    """An rdflib term of the shapes graph as the pyoxigraph term the data uses."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))) if term.datatype else ox.Literal(str(term))
    raise UnsupportedShape(f"the blank node {term} is used as a value in the shapes; name it with an IRI")


def _datatype(datatype: str) -> Check:
    pattern = _WELL_FORMED.get(datatype)

    def check(value: Term, data: Data) -> bool:
        if not isinstance(value, ox.Literal):
            return False
        if datatype == _LANG_STRING:
            return bool(value.language)
        return value.datatype.value == datatype and (pattern is None or _well_formed(datatype, value.value))
    return check


def _well_formed(datatype: str, text: str) -> bool:
    """Whether a lexical form is valid for a datatype of `_LEXICAL` (dates also need a real day)."""
    if not _WELL_FORMED[datatype].fullmatch(text):
        return False
    if datatype in (XSD + "date", XSD + "dateTime") and not text.startswith("-") and text[4] == "-":
        try:
            date.fromisoformat(text[:10])
        except ValueError:
            return False
    return True


def _number(value: Term) -> Decimal | None:
    """A numeric literal's value (None for anything else, or an ill-formed one)."""
    if not isinstance(value, ox.Literal) or value.datatype.value not in _NUMERIC:
        return None
    if not _well_formed(value.datatype.value, value.value):
        return None
    try:
        number = Decimal(value.value)
    except InvalidOperation:
        return None
    return None if number.is_nan() else number


def _bound(term: rdflib.term.Node, keep: Callable[[Decimal, Decimal], bool]) -> Check:
    limit = _number(_ox(term))
    if limit is None:
        raise UnsupportedShape(f"the bound {term} is not a number; only numeric bounds are checked")

    def check(value: Term, data: Data) -> bool:
        number = _number(value)
        return number is not None and keep(number, limit)
    return check


def _class(term: rdflib.term.Node) -> Check:
    cls = _ox(term)
    return lambda value, data: not isinstance(value, ox.Literal) and cls in data.classes(value)


def _in(shapes: rdflib.Graph, head: rdflib.term.Node) -> Check:
    allowed = frozenset(_ox(t) for t in Collection(shapes, head))
    return lambda value, data: value in allowed


def _pattern(shapes: rdflib.Graph, node: rdflib.term.Node, term: rdflib.term.Node) -> Check:
    flags = str(shapes.value(node, SH.flags) or "")
    regex = re.compile(str(term), sum(getattr(re, f.upper()) for f in flags))
    return lambda value, data: not isinstance(value, ox.BlankNode) and bool(regex.search(value.value))


def _node_kind(term: rdflib.term.Node) -> Check:
    kinds = _NODE_KINDS[str(term).rsplit("#", 1)[-1]]
    return lambda value, data: isinstance(value, kinds)


def _or(shapes: rdflib.Graph, head: rdflib.term.Node) -> Check:
    members = [_value_checks(shapes, member, allowed=_ANNOTATIONS | {_RDF_TYPE}) for member in Collection(shapes, head)]
    return lambda value, data: any(all(check(value, data) for check in checks) for checks in members)


_VALUE_CHECKS: dict[rdflib.URIRef, Callable[[rdflib.Graph, rdflib.term.Node, rdflib.term.Node], Check]] = {
    SH.datatype: lambda g, n, t: _datatype(str(t)),
    SH["class"]: lambda g, n, t: _class(t),
    SH["in"]: lambda g, n, t: _in(g, t),
    SH.pattern: _pattern,
    SH.nodeKind: lambda g, n, t: _node_kind(t),
    SH["or"]: lambda g, n, t: _or(g, t),
    SH.minInclusive: lambda g, n, t: _bound(t, lambda v, limit: v >= limit),
    SH.maxInclusive: lambda g, n, t: _bound(t, lambda v, limit: v <= limit),
}


def _value_checks(shapes: rdflib.Graph, node: rdflib.term.Node, allowed: set) -> tuple[Check, ...]:
    """The value checks a shape node states; anything else of SHACL's is refused."""
    checks = []
    for predicate, term in shapes.predicate_objects(node):
        if predicate in _VALUE_CHECKS:
            checks.append(_VALUE_CHECKS[predicate](shapes, node, term))
        elif predicate not in allowed and str(predicate).startswith(str(SH)):
            raise UnsupportedShape(f"{node} uses {predicate}, which graph_service/importers/shapes.py does not "
                                   "evaluate: add it there (with a case in the pySHACL parity test)")
    return tuple(checks)


def _property(shapes: rdflib.Graph, node: rdflib.term.Node) -> PropertyShape:
    """One property shape of the shapes graph."""
    path = shapes.value(node, SH.path)
    if not isinstance(path, rdflib.URIRef):
        raise UnsupportedShape(f"{node} has a property path other than one IRI, which is not evaluated here")
    counts = {SH.minCount, SH.maxCount, SH.uniqueLang, SH.flags}
    severity = shapes.value(node, SH.severity) or SH.Violation
    messages = sorted(str(m) for m in shapes.objects(node, SH.message))
    return PropertyShape(str(node), str(path), str(severity).rsplit("#", 1)[-1],
                         messages[0] if messages else f"see the shape {node}",
                         _int(shapes.value(node, SH.minCount)), _int(shapes.value(node, SH.maxCount)),
                         bool(shapes.value(node, SH.uniqueLang)),
                         _value_checks(shapes, node, allowed=_ANNOTATIONS | counts | {_RDF_TYPE}))


def _int(term: rdflib.term.Node | None) -> int | None:
    return int(term) if term is not None else None


def compile_shapes(shapes: rdflib.Graph) -> tuple[Shape, ...]:
    """Every node shape of a shapes graph as a `Shape`.

    :raises UnsupportedShape: for a target, path or constraint this module does not evaluate.
    """
    compiled = []
    for node in sorted(set(shapes.subjects(_RDF_TYPE, SH.NodeShape)), key=str):
        known = {SH.targetClass, SH.targetSubjectsOf, SH.property, _RDF_TYPE}
        if _value_checks(shapes, node, allowed=_ANNOTATIONS | known):
            raise UnsupportedShape(f"{node} states value constraints on the focus node itself, not evaluated here")
        compiled.append(Shape(str(node), frozenset(_ox(c) for c in shapes.objects(node, SH.targetClass)),
                              tuple(str(p) for p in shapes.objects(node, SH.targetSubjectsOf)),
                              tuple(_property(shapes, p) for p in sorted(shapes.objects(node, SH.property), key=str))))
    return tuple(compiled)
