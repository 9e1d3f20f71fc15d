"""SPARQL results for the conformance runner: parse SRX, SRJ, TSV, CSV and RDF result sets, compare them.

Terms are plain tuples, so results from a file and from the endpoint compare directly:
("uri", iri), ("bnode", label), ("literal", lexical form, datatype, lower-case language).
Solutions compare as multisets (as lists when the query orders them) up to a renaming of
blank nodes; `by_value` also lets numeric and boolean literals of one datatype match by value
("1.0"^^xsd:decimal = "1"^^xsd:decimal), since the store keeps values, not lexical forms.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

Term = tuple[str, ...]
Row = dict[str, Term]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
SR = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {XSD + t for t in ("integer", "long", "int", "short", "byte", "nonNegativeInteger", "positiveInteger",
                              "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
                              "unsignedShort", "unsignedByte")}
RS = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
_SEARCH_LIMIT = 200_000


@dataclass
class Results:
    """A SELECT table (rows of terms; CSV cells are ("text", string)) or an ASK answer."""

    rows: list[Row] | None = None
    boolean: bool | None = None


def literal(value: str, datatype: str | None = None, language: str | None = None) -> Term:
    """A literal term, with RDF 1.1's implicit datatypes made explicit."""
    if language:
        return ("literal", value, LANG_STRING, language.lower())
    return ("literal", value, datatype or XSD_STRING, "")


def from_oxigraph(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
    """A pyoxigraph term as a tuple."""
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    return literal(term.value, term.datatype.value, term.language)


def from_rdflib(term: rdflib.term.Node) -> Term:
    """An rdflib term as a tuple."""
    if isinstance(term, rdflib.URIRef):
        return ("uri", str(term))
    if isinstance(term, rdflib.BNode):
        return ("bnode", str(term))
    return literal(str(term), str(term.datatype) if term.datatype else None, term.language)


def parse_srx(data: bytes) -> Results:
    """SPARQL Query Results XML."""
    root = ElementTree.fromstring(data)
    boolean = root.find(f"{SR}boolean")
    if boolean is not None:
        return Results(boolean=boolean.text.strip() == "true")
    rows = []
    for result in root.iter(f"{SR}result"):
        row = {}
        for binding in result.findall(f"{SR}binding"):
            node = binding[0]
            kind = node.tag.removeprefix(SR)
            text = node.text or ""
            row[binding.get("name")] = literal(text, node.get("datatype"), node.get(XML_LANG)) \
                if kind == "literal" else (kind, text)
        rows.append(row)
    return Results(rows=rows)


def parse_srj(data: bytes) -> Results:
    """SPARQL 1.1 Query Results JSON."""
    body = json.loads(data)
    if "boolean" in body:
        return Results(boolean=bool(body["boolean"]))
    rows = []
    for binding in body["results"]["bindings"]:
        row = {}
        for name, term in binding.items():
            kind = term["type"]
            if kind in ("literal", "typed-literal"):
                row[name] = literal(term["value"], term.get("datatype"), term.get("xml:lang"))
            else:
                row[name] = (kind, term["value"])
        rows.append(row)
    return Results(rows=rows)


def _tsv_term(cell: str) -> Term | None:
    """One TSV cell (Turtle term syntax) as a term; empty is unbound."""
    cell = cell.strip()
    if not cell:
        return None
    if cell.startswith("_:"):
        return ("bnode", cell[2:])
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {cell} .".encode(), format=ox.RdfFormat.TURTLE)))
    return from_oxigraph(quad.object)


def parse_tsv(data: bytes) -> Results:
    """SPARQL 1.1 Query Results TSV."""
    lines = data.decode("utf-8").split("\n")
    header = [v.strip().lstrip("?$") for v in lines[0].rstrip("\r").split("\t")]
    rows = []
    for line in lines[1:]:
        if not line.rstrip("\r"):
            continue
        cells = [_tsv_term(c) for c in line.rstrip("\r").split("\t")]
        rows.append({v: t for v, t in zip(header, cells) if t is not None})
    return Results(rows=rows)


def parse_csv(data: bytes) -> Results:
    """SPARQL 1.1 Query Results CSV: cells stay strings ("_:x" cells are blank nodes)."""
    table = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header, rows = table[0], []
    for line in table[1:]:
        rows.append({v: (("bnode", c[2:]) if c.startswith("_:") else ("text", c))
                     for v, c in zip(header, line) if c != ""})
    return Results(rows=rows)


def parse_rdf_result_set(graph: rdflib.Graph) -> Results | None:
    """A DAWG result set written in RDF (rs:ResultSet), or None if the graph is not one."""
    result_set = graph.value(predicate=rdflib.RDF.type, object=RS.ResultSet)
    if result_set is None:
        return None
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return Results(boolean=bool(boolean.toPython()))
    solutions = sorted(graph.objects(result_set, RS.solution), key=lambda s: int(graph.value(s, RS.index) or 0))
    rows = [{str(graph.value(b, RS.variable)): from_rdflib(graph.value(b, RS.value))
             for b in graph.objects(solution, RS.binding)} for solution in solutions]
    return Results(rows=rows)


PARSERS = {".srx": parse_srx, ".srj": parse_srj, ".tsv": parse_tsv, ".csv": parse_csv}
ACCEPT = {".srx": "application/sparql-results+xml", ".srj": "application/sparql-results+json",
          ".tsv": "text/tab-separated-values", ".csv": "text/csv"}
PARSE_BY_MEDIA = {"application/sparql-results+xml": parse_srx, "application/sparql-results+json": parse_srj,
                  "text/tab-separated-values": parse_tsv, "text/csv": parse_csv}


def _number(text: str, datatype: str) -> object:
    """The value of a numeric or boolean lexical form (NaN as a string, so it equals itself)."""
    text = text.strip()
    if datatype == XSD + "boolean":
        return text in ("true", "1")
    if datatype in INTEGERS:
        return int(text)
    if datatype == XSD + "decimal":
        return Decimal(text)
    value = float(text)
    return "NaN" if math.isnan(value) else value


def by_value(term: Term) -> Term:
    """A numeric or boolean literal as its value (other terms unchanged); CSV cells that are numbers too."""
    try:
        if term[0] == "literal" and (term[2] in INTEGERS or term[2] in (XSD + "decimal", XSD + "double",
                                                                         XSD + "float", XSD + "boolean")):
            return ("value", term[2], _number(term[1], term[2]))
        if term[0] == "text" and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", term[1]):
            return ("value", "number", float(term[1]))
    except (ValueError, InvalidOperation):
        pass
    return term


def _plain(row: Row) -> frozenset:
    """A row with every blank node replaced by the same placeholder."""
    return frozenset((v, ("bnode",) if t[0] == "bnode" else t) for v, t in row.items())


def _extend(mapping: dict[str, str], want: Row, got: Row) -> dict[str, str] | None:
    """The blank-node mapping extended so `want` maps onto `got`, or None if it cannot be."""
    if want.keys() != got.keys():
        return None
    new = dict(mapping)
    for name, term in want.items():
        other = got[name]
        if term[0] != "bnode" or other[0] != "bnode":
            if term != other:
                return None
            continue
        if term[1] in new:
            if new[term[1]] != other[1]:
                return None
        elif other[1] in new.values():
            return None
        else:
            new[term[1]] = other[1]
    return new


def same_rows(want: list[Row], got: list[Row], ordered: bool) -> bool:
    """Whether two solution sequences are equal up to blank-node renaming (as multisets unless ordered)."""
    if len(want) != len(got) or Counter(map(_plain, want)) != Counter(map(_plain, got)):
        return False
    if ordered and [_plain(r) for r in want] != [_plain(r) for r in got]:
        return False
    if not any(t[0] == "bnode" for row in want for t in row.values()):
        return True
    steps = 0

    def search(index: int, mapping: dict[str, str], taken: set[int]) -> bool:
        nonlocal steps
        if index == len(want):
            return True
        candidates = [index] if ordered else [j for j in range(len(got)) if j not in taken]
        for j in candidates:
            steps += 1
            if steps > _SEARCH_LIMIT:
                return False
            if _plain(want[index]) != _plain(got[j]):
                continue
            extended = _extend(mapping, want[index], got[j])
            if extended is not None and search(index + 1, extended, taken | {j}):
                return True
        return False

    return search(0, {}, set())


def same_results(want: Results, got: Results, ordered: bool, values: bool = False) -> bool:
    """Whether the endpoint's results are the expected ones (numbers and booleans by value if `values`)."""
    if want.boolean is not None or got.boolean is not None:
        return want.boolean == got.boolean
    if values:
        return same_rows([{v: by_value(t) for v, t in row.items()} for row in want.rows or []],
                         [{v: by_value(t) for v, t in row.items()} for row in got.rows or []], ordered)
    return same_rows(want.rows or [], got.rows or [], ordered)


_NOISE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*')


def is_ordered(query: str) -> bool:
    """Whether the query's outermost solution sequence has an ORDER BY (not one inside a subquery)."""
    text, depth, outer = _NOISE.sub(" ", query), 0, []
    for char in text:
        depth += char == "{"
        depth -= char == "}"
        outer.append(char if depth == 0 else " ")
    return re.search(r"\bORDER\s+BY\b", "".join(outer), re.IGNORECASE) is not None


def same_graph(want: bytes, got: bytes, values: bool = False) -> bool:
    """Whether two N-Triples documents are isomorphic graphs (numbers and booleans by value if `values`)."""
    previous = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = values
    try:
        return isomorphic(rdflib.Graph().parse(data=want, format="nt"), rdflib.Graph().parse(data=got, format="nt"))
    finally:
        rdflib.NORMALIZE_LITERALS = previous
