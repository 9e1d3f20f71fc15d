"""SPARQL 1.1 Protocol pieces kept as data and small pure functions (no FastAPI, no store).

MIME tables, Accept negotiation, the lexical checks the public endpoint needs (SERVICE and
LOAD refused, FROM detected), result serialisers that honour a row cap, and the service
description. Imported by the query worker processes, so it stays light: stdlib + pyoxigraph.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import pyoxigraph as ox

from .sparql_text import keywords, structure, term_to_json

# media type → (format name, pyoxigraph format)
RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
RESULT_MEDIA = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8"}
DEFAULT_RESULT = "application/sparql-results+json"
DEFAULT_GRAPH = "text/turtle"
QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"
FORM_MEDIA = "application/x-www-form-urlencoded"
# Past these, a text could exhaust the query engine's stack (pyoxigraph 0.5 crashed at 3 000
# nested groups and 8 000 chained UNIONs on an 8 MiB stack); refused before it gets there.
MAX_NESTING = 200
MAX_OPERATORS = 2_000

class ProtocolError(ValueError):
    """A request the protocol rejects: carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def refuse_unsafe(text: str, *, update: bool) -> None:
    """Refuse what the endpoint must not run: SERVICE (and LOAD in updates), which would fetch
    arbitrary URLs, and texts nested or chained past what the query engine's stack can take.

    :raises ProtocolError: 403 naming the keyword, 400 saying which limit was passed.
    """
    words = keywords(text)
    for keyword in ("SERVICE", "LOAD") if update else ("SERVICE",):
        if keyword in words:
            raise ProtocolError(403, f"{keyword} is not allowed on this endpoint: it would fetch arbitrary URLs. "
                                     "Load data with the graph-service CLI or the Graph Store Protocol instead.")
    depth, operators = structure(text)
    if depth > MAX_NESTING:
        raise ProtocolError(400, f"the text nests brackets {depth} deep; this endpoint takes at most {MAX_NESTING} "
                                 "levels of { }, ( ) and [ ]: flatten the groups or split the query")
    if operators > MAX_OPERATORS:
        raise ProtocolError(400, f"the text chains {operators} operators (UNION, | / in paths, + - * in "
                                 f"expressions, && ||); this endpoint takes at most {MAX_OPERATORS}: "
                                 "use VALUES for long alternatives, or split the query")


def names_dataset(text: str) -> bool:
    """Whether the query text has its own FROM / FROM NAMED clause."""
    return "FROM" in keywords(text)


def parse_accept(header: str | None) -> list[str]:
    """Media ranges of an Accept header, best first (q=0 dropped; ties keep the client's order)."""
    ranked = []
    for position, part in enumerate((header or "*/*").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranked.append((-quality, position, media.lower()))
    return [media for _, _, media in sorted(ranked)]


def negotiate(accept: Sequence[str], offered: Iterable[str], default: str) -> str | None:
    """The first offered media type the ranked Accept list allows (wildcards give `default`)."""
    offered = list(offered)
    for media in accept:
        if media in offered:
            return media
        if media == "*/*":
            return default
        if media.endswith("/*"):
            family = media[:-1]
            if default.startswith(family):
                return default
            for candidate in offered:
                if candidate.startswith(family):
                    return candidate
    return None


@dataclass(frozen=True)
class Rendered:
    """A serialised answer: bytes, their media type, and whether the row cap cut it short."""

    body: bytes
    media_type: str
    truncated: bool = False
    count: int = 0


_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def escape(text: str) -> str:
    """XML character data; a carriage return as a reference, or a parser would read it as a newline.

    Written here rather than taken from xml.sax.saxutils, which imports urllib, http and email:
    7 MB more in every query worker.
    """
    return text.translate(_XML_TEXT)


def quoteattr(text: str) -> str:
    """An XML attribute value in double quotes, whitespace kept as references."""
    return f'"{text.translate(_XML_ATTRIBUTE)}"'


def _term_xml(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """A term in SPARQL Query Results XML."""
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _term_text(term: object, tsv: bool) -> str:
    """A term in CSV (plain value) or TSV (N-Triples syntax) results."""
    if term is None:
        return ""
    return str(term) if tsv else csv_text(term)


def csv_text(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """A term as SPARQL CSV results write it: an IRI or a literal's lexical form as is, a blank node as _:id."""
    return term.value if not isinstance(term, ox.BlankNode) else f"_:{term.value}"


def csv_row(row: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> dict[str, str]:
    """A row of terms as SPARQL CSV results give it, by variable: the values' text, empty values left out."""
    return {name: csv_text(term) for name, term in row.items() if term.value}


def render_solutions(variables: list[str], rows: list[list], fmt: str, truncated: bool) -> Rendered:
    """SELECT rows (terms or None) in SPARQL JSON, XML, CSV or TSV."""
    if fmt == "json":
        head: dict = {"vars": variables}
        if truncated:
            head["link"] = ["urn:graph-service:row-cap-reached"]
        bindings = [{v: term_to_json(t) for v, t in zip(variables, row) if t is not None} for row in rows]
        body = json.dumps({"head": head, "results": {"bindings": bindings}}, ensure_ascii=False).encode()
    elif fmt == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
        parts.append("</head><results>")
        for row in rows:
            cells = "".join(f"<binding name={quoteattr(v)}>{_term_xml(t)}</binding>"
                            for v, t in zip(variables, row) if t is not None)
            parts.append(f"<result>{cells}</result>")
        parts.append("</results></sparql>")
        body = "".join(parts).encode()
    else:
        buffer = io.StringIO()
        tsv = fmt == "tsv"
        if tsv:
            buffer.write("\t".join(f"?{v}" for v in variables) + "\n")
            for row in rows:
                buffer.write("\t".join(_term_text(t, True) for t in row) + "\n")
        else:
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(variables)
            writer.writerows([_term_text(t, False) for t in row] for row in rows)
        body = buffer.getvalue().encode()
    return Rendered(body, RESULT_MEDIA[fmt], truncated, len(rows))


def render_boolean(value: bool, fmt: str) -> Rendered:
    """An ASK answer in SPARQL JSON, XML, CSV or TSV."""
    if fmt == "json":
        body = json.dumps({"head": {}, "boolean": value}).encode()
    elif fmt == "xml":
        body = ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>").encode()
    else:
        body = ("true" if value else "false").encode() + b"\n"
    return Rendered(body, RESULT_MEDIA[fmt], count=1)


def render_triples(triples: list[ox.Triple], media: str, truncated: bool) -> Rendered:
    """CONSTRUCT/DESCRIBE triples in an RDF format."""
    fmt = GRAPH_TYPES[media]
    body = ox.serialize(triples, format=fmt) or b""
    return Rendered(body, fmt.media_type + ("; charset=utf-8" if fmt != ox.RdfFormat.RDF_XML else ""),
                    truncated, len(triples))


SD = "http://www.w3.org/ns/sparql-service-description#"


def service_description(endpoint: str, updates: bool, graphs: Iterable[str]) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint as triples."""
    service, dataset, default = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, rdf_type, sd("Graph")),
    ]
    if updates:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    formats = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
               "tsv": "SPARQL_Results_TSV", "ttl": "Turtle", "nt": "N-Triples", "rdf": "RDF_XML", "jsonld": "JSON-LD"}
    triples += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(f"http://www.w3.org/ns/formats/{name}"))
                for name in formats.values()]
    for graph in graphs:
        named = ox.BlankNode()
        triples += [ox.Triple(dataset, sd("namedGraph"), named), ox.Triple(named, sd("name"), ox.NamedNode(graph))]
    return triples
