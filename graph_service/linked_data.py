"""Linked data without FastAPI: describe one IRI, pick the answer's format from Accept, render RDF or HTML.

A description is the resource's concise bounded description (every triple with it as subject,
following blank nodes), every triple with it as object, and the labels of every IRI it
mentions, so a client can name the neighbours without asking again.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Iterable, Sequence
from urllib.parse import quote

import pyoxigraph as ox

from .catalogue import Selectable
from .namespaces import DCTERMS, MM, MMID, PREFIXES, RDF, RDFS, SKOS, XSD
from .queries import named_queries
from .resources import resource_dir
from .sparql_protocol import negotiate, parse_accept

Node = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal

RDF_FORMATS: dict[str, ox.RdfFormat] = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
                                        "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML}
MEDIA_TYPES: dict[str, str] = {"ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples",
                               "rdf": "application/rdf+xml", "html": "text/html"}
FORMAT_NAMES: dict[str, str] = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdf": "RDF/XML",
                                "html": "HTML"}
# every media type we answer with (aliases included) → format; the first of a family wins for "type/*"
ACCEPTED: dict[str, str] = {**{media: fmt for fmt, media in MEDIA_TYPES.items()}, "application/x-turtle": "ttl",
                            "application/json": "jsonld", "application/xhtml+xml": "html"}
DEFAULT_FORMAT = "ttl"
LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", DCTERMS + "title")
_TYPE = RDF + "type"
_PLAIN = {XSD + "string", RDF + "langString"}
_EXTRA_PREFIXES = {"owl": "http://www.w3.org/2002/07/owl#", "foaf": "http://xmlns.com/foaf/0.1/",
                   "sh": "http://www.w3.org/ns/shacl#", "esco": "http://data.europa.eu/esco/model#",
                   "country": "http://publications.europa.eu/resource/authority/country/",
                   "mms": "https://w3id.org/mikromerit/shapes#", "outcome": MMID + "outcome/",
                   "org": MMID + "org/", "sector": MMID + "sector/", "phase": MMID + "phase/",
                   "icf": MMID + "icf/", "ssyk": MMID + "ssyk/"}
ALL_PREFIXES: dict[str, str] = {**PREFIXES, **_EXTRA_PREFIXES}
# kept as they are in paths made from IRIs; "%" is escaped so the server's path decoding gives the IRI back
_SAFE = "/-._~!$&'()*+,;=:@"


def negotiate_format(accept: str | None) -> str | None:
    """The format (ttl, jsonld, nt, rdf, html) the Accept header ranks highest; None if none is acceptable."""
    media = negotiate(parse_accept(accept), ACCEPTED, MEDIA_TYPES[DEFAULT_FORMAT])
    return ACCEPTED.get(media) if media else None


def content_type(fmt: str) -> str:
    """The Content-Type of an answer in `fmt` (UTF-8 said explicitly except for self-describing XML)."""
    return MEDIA_TYPES[fmt] + ("" if fmt == "rdf" else "; charset=utf-8")


def _triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    return str(triple.subject), str(triple.predicate), str(triple.object)


@dataclass(frozen=True)
class Description:
    """The triples that describe one IRI, with lookups for rendering them."""

    iri: str
    triples: tuple[ox.Triple, ...]

    @cached_property
    def _by_subject(self) -> dict[Node, list[ox.Triple]]:
        index: dict[Node, list[ox.Triple]] = defaultdict(list)
        for triple in self.triples:
            index[triple.subject].append(triple)
        return index

    @cached_property
    def _labels(self) -> dict[str, list[tuple[int, ox.Literal]]]:
        found: dict[str, list[tuple[int, ox.Literal]]] = defaultdict(list)
        for triple in self.triples:
            if triple.predicate.value in LABEL_PROPERTIES and isinstance(triple.object, ox.Literal) \
                    and isinstance(triple.subject, ox.NamedNode):
                found[triple.subject.value].append((LABEL_PROPERTIES.index(triple.predicate.value), triple.object))
        return found

    def about(self, node: Node) -> list[ox.Triple]:
        """Every triple with `node` as subject."""
        return self._by_subject.get(node, [])

    @property
    def node(self) -> ox.NamedNode:
        """The described IRI as an RDF term."""
        return ox.NamedNode(self.iri)

    @property
    def types(self) -> list[ox.NamedNode]:
        """The resource's rdf:type values."""
        return [t.object for t in self.about(self.node)
                if t.predicate.value == _TYPE and isinstance(t.object, ox.NamedNode)]

    @property
    def incoming(self) -> list[ox.Triple]:
        """Triples that point at the resource from somewhere else."""
        return [t for t in self.triples if t.object == self.node and t.subject != self.node]

    def label(self, iri: str, lang: str) -> ox.Literal | None:
        """The best label of an IRI: in `lang`, else untagged, else any; skos:prefLabel before rdfs:label."""
        def rank(entry: tuple[int, ox.Literal]) -> tuple[int, int, str]:
            tag = entry[1].language
            return (0 if tag == lang else 1 if not tag else 2), entry[0], entry[1].value

        candidates = self._labels.get(iri)
        return min(candidates, key=rank)[1] if candidates else None


def describe(store: Selectable, iri: str, languages: Sequence[str] = ("sv", "en")) -> Description | None:
    """Describe an IRI from the store (queries/describe-resource.rq); None when the graph says nothing about it.

    Labels of neighbours are kept in `languages` (and untagged ones); the resource's own
    statements are kept whole.
    """
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return None
    rows = store.select(named_queries()["describe-resource"].text, {"resource": node})
    parts: dict[str, list[ox.Triple]] = defaultdict(list)
    for row in rows:
        parts[row["part"].value].append(ox.Triple(row["s"], row["p"], row["o"]))
    if not parts["out"] and not parts["in"]:
        return None
    labels = [t for t in parts["label"]
              if isinstance(t.object, ox.Literal) and (not t.object.language or t.object.language in languages)]
    kept = parts["out"] + parts["in"] + _blank_closure(parts["out"], parts["blank"]) + labels
    return Description(iri, tuple(sorted(set(kept), key=_triple_key)))


def _blank_closure(start: Iterable[ox.Triple], candidates: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples of blank nodes reachable from `start` through blank nodes only."""
    by_subject: dict[Node, list[ox.Triple]] = defaultdict(list)
    for triple in candidates:
        by_subject[triple.subject].append(triple)
    todo = [t.object for t in start if isinstance(t.object, ox.BlankNode)]
    seen: set[ox.BlankNode] = set()
    closure: list[ox.Triple] = []
    while todo:
        blank = todo.pop()
        if blank in seen:
            continue
        seen.add(blank)
        for triple in by_subject.get(blank, []):
            closure.append(triple)
            if isinstance(triple.object, ox.BlankNode):
                todo.append(triple.object)
    return closure


def used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The known prefixes whose namespace some IRI in the triples starts with."""
    iris = {term.value for t in triples for term in (t.subject, t.predicate, t.object)
            if isinstance(term, ox.NamedNode)}
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
    return {name: ns for name, ns in ALL_PREFIXES.items() if any(i.startswith(ns) and i != ns for i in iris)}


def serialize(triples: Sequence[ox.Triple], fmt: str) -> bytes:
    """Triples as Turtle, JSON-LD, N-Triples or RDF/XML (prefixes where the format has them)."""
    prefixes = used_prefixes(triples) if fmt in ("ttl", "rdf") else None
    return ox.serialize(triples, format=RDF_FORMATS[fmt], prefixes=prefixes) or b""


@lru_cache(maxsize=1)
def ontology_triples() -> tuple[bytes, tuple[ox.Triple, ...]]:
    """ontology/core.ttl as its bytes and its triples (read once)."""
    path = resource_dir("ontology") / "core.ttl"
    data = path.read_bytes()
    return data, tuple(q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=MM[:-1]))


@dataclass(frozen=True)
class Linker:
    """Where an IRI links to in HTML: under the data base to this server, mm: terms to the ontology page."""

    base: str
    path: str
    ns_path: str | None = "/ns"

    def href(self, iri: str) -> str | None:
        """This server's path for the IRI, or the IRI itself when it is http(s); None for other schemes."""
        if iri.startswith(self.base):
            return self.path + quote(iri[len(self.base):], safe=_SAFE)
        if self.ns_path and iri.startswith(MM):
            return f"{self.ns_path}#{quote(iri[len(MM):], safe=_SAFE)}"
        if self.ns_path and iri == MM[:-1]:
            return self.ns_path
        return iri if iri.split(":", 1)[0].lower() in ("http", "https") else None


_TEXT = {
    "sv": {"properties": "Egenskaper", "property": "Egenskap", "value": "Värde", "incoming": "Länkar hit",
           "from": "Från", "types": "Typ", "formats": "Andra format", "switch": "In English", "other": "en",
           "none": "Inga.", "terms": "Termer", "missing": "Hittades inte",
           "missing_text": "Grafen säger inget om {iri}. Kontrollera adressen, eller bläddra bland resurserna via "
                           "/api/credentials, /api/roles och /api/competences."},
    "en": {"properties": "Properties", "property": "Property", "value": "Value", "incoming": "Links to here",
           "from": "From", "types": "Type", "formats": "Other formats", "switch": "På svenska", "other": "sv",
           "none": "None.", "terms": "Terms", "missing": "Not found",
           "missing_text": "The graph says nothing about {iri}. Check the address, or browse the resources through "
                           "/api/credentials, /api/roles and /api/competences."},
}
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.4}"
          "table{border-collapse:collapse;width:100%;margin-bottom:1rem}"
          "th,td{border:1px solid #999;padding:.3rem;text-align:left;vertical-align:top}"
          "ul{margin:0;padding-left:1.2rem}small{color:#444}code{word-break:break-all}")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def texts(lang: str) -> dict[str, str]:
    """The page's fixed words in sv or en (English for any other language)."""
    return _TEXT.get(lang, _TEXT["en"])


def compact(iri: str) -> str:
    """A prefixed name for an IRI when a known prefix fits, else the IRI."""
    for name, ns in sorted(ALL_PREFIXES.items(), key=lambda p: -len(p[1])):
        if iri.startswith(ns) and iri != ns:
            return f"{name}:{iri[len(ns):]}"
    return iri


class _Renderer:
    """Renders terms and property tables of one description in one language."""

    def __init__(self, desc: Description, lang: str, linker: Linker):
        self.desc, self.lang, self.linker = desc, lang, linker

    def lang_attr(self, literal: ox.Literal | None) -> str:
        tag = literal.language if literal is not None else None
        return f' lang="{_esc(tag)}"' if tag and tag != self.lang else ""

    def name(self, iri: str) -> str:
        """An IRI's label (or prefixed name), linked where it may be followed."""
        label = self.desc.label(iri, self.lang)
        attr = self.lang_attr(label)
        text = _esc(label.value if label else compact(iri))
        text = f"<span{attr}>{text}</span>" if attr else text
        href = self.linker.href(iri)
        return f'<a href="{_esc(href)}">{text}</a>' if href else text

    def term(self, term: Term, depth: int) -> str:
        if isinstance(term, ox.NamedNode):
            return self.name(term.value)
        if isinstance(term, ox.BlankNode):
            return self.table(term, depth + 1) if depth < 4 else "…"
        text = _esc(term.value)
        if term.language:
            return f'<span lang="{_esc(term.language)}">{text}</span> <small>({_esc(term.language)})</small>'
        if term.datatype.value not in _PLAIN:
            return f"{text} <small>({_esc(compact(term.datatype.value))})</small>"
        return text

    def sort_key(self, term: Term) -> tuple[int, str]:
        tag = term.language if isinstance(term, ox.Literal) else None
        return (0 if tag in (None, self.lang) else 1), term.value

    def predicate_key(self, iri: str) -> tuple[str, str]:
        label = self.desc.label(iri, self.lang)
        return (label.value.casefold() if label else compact(iri)), iri

    def table(self, subject: Node, depth: int = 0, caption: str | None = None) -> str:
        """A table of the subject's properties and values (rdf:type left out at the top)."""
        grouped: dict[str, list[Term]] = defaultdict(list)
        for triple in self.desc.about(subject):
            if not (depth == 0 and triple.predicate.value == _TYPE):
                grouped[triple.predicate.value].append(triple.object)
        if not grouped:
            return f"<p>{_esc(texts(self.lang)['none'])}</p>"
        words = texts(self.lang)
        rows = []
        for predicate in sorted(grouped, key=self.predicate_key):
            values = [self.term(v, depth) for v in sorted(grouped[predicate], key=self.sort_key)]
            cell = values[0] if len(values) == 1 else "<ul>" + "".join(f"<li>{v}</li>" for v in values) + "</ul>"
            rows.append(f'<tr><th scope="row">{self.name(predicate)}</th><td>{cell}</td></tr>')
        head = f'<caption>{_esc(caption)}</caption>' if caption else ""
        return (f"<table>{head}<thead><tr><th scope=\"col\">{_esc(words['property'])}</th>"
                f"<th scope=\"col\">{_esc(words['value'])}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def incoming(self) -> str:
        """A table of the triples that link to the resource."""
        words = texts(self.lang)
        links = sorted(self.desc.incoming, key=lambda t: (self.predicate_key(t.predicate.value), str(t.subject)))
        if not links:
            return f"<p>{_esc(words['none'])}</p>"
        rows = "".join(f"<tr><td>{self.term(t.subject, 4)}</td><td>{self.name(t.predicate.value)}</td></tr>"
                       for t in links)
        return (f"<table><thead><tr><th scope=\"col\">{_esc(words['from'])}</th><th scope=\"col\">"
                f"{_esc(words['property'])}</th></tr></thead><tbody>{rows}</tbody></table>")


def _alternates(self_path: str) -> tuple[str, str]:
    """`<link rel=alternate>` elements and a visible list, for every RDF format of this page."""
    links = "".join(f'<link rel="alternate" type="{MEDIA_TYPES[f]}" href="{_esc(self_path)}?format={f}">'
                    for f in RDF_FORMATS)
    items = "".join(f'<li><a href="{_esc(self_path)}?format={f}" type="{MEDIA_TYPES[f]}">{FORMAT_NAMES[f]}</a></li>'
                    for f in RDF_FORMATS)
    return links, f"<ul>{items}</ul>"


def page_path(prefix: str, local: str) -> str:
    """The (percent-encoded) path on this server of a local name under a linked-data path."""
    return prefix + quote(local, safe=_SAFE)


def link_header(self_path: str) -> str:
    """The HTTP Link header naming every alternate format of a page at an encoded path."""
    return ", ".join(f'<{self_path}?format={f}>; rel="alternate"; type="{MEDIA_TYPES[f]}"' for f in MEDIA_TYPES)


def _page(lang: str, title: str, title_lang: str, head: str, body: str) -> str:
    """A whole HTML document: no external CSS or scripts."""
    return (f'<!DOCTYPE html>\n<html lang="{_esc(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title{title_lang}>{_esc(title)}</title>{head}<style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def render_html(desc: Description, lang: str, linker: Linker, self_path: str) -> str:
    """The HTML page of a description: label, IRI, types, properties, incoming links, other formats."""
    words, view = texts(lang), _Renderer(desc, lang, linker)
    label = desc.label(desc.iri, lang)
    title, title_lang = (label.value, view.lang_attr(label)) if label else (desc.iri, "")
    links, formats = _alternates(self_path)
    types = ", ".join(view.name(t.value) for t in sorted(desc.types, key=lambda t: view.predicate_key(t.value)))
    body = (f"<h1{title_lang}>{_esc(title)}</h1><p><code>{_esc(desc.iri)}</code></p>"
            + (f"<p>{_esc(words['types'])}: {types}</p>" if types else "")
            + f"<h2>{_esc(words['properties'])}</h2>{view.table(desc.node)}"
            + f"<h2>{_esc(words['incoming'])}</h2>{view.incoming()}"
            + f"<h2>{_esc(words['formats'])}</h2>{formats}"
            + f'<p><a href="{_esc(self_path)}?format=html&amp;lang={words["other"]}" hreflang="{words["other"]}">'
              f"{_esc(words['switch'])}</a></p>")
    return _page(lang, title, title_lang, links, body)


def render_ontology_html(lang: str, linker: Linker, self_path: str) -> str:
    """The HTML page of ontology/core.ttl: the ontology's own statements, then one section per mm: term."""
    words = texts(lang)
    desc = Description(MM[:-1], ontology_triples()[1])
    view = _Renderer(desc, lang, linker)
    label = desc.label(desc.iri, lang)
    title, title_lang = (label.value, view.lang_attr(label)) if label else (desc.iri, "")
    terms = sorted({t.subject.value for t in desc.triples
                    if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(MM)},
                   key=view.predicate_key)
    sections = []
    for iri in terms:
        fragment = _esc(iri[len(MM):])
        term_label = desc.label(iri, lang)
        heading = _esc(term_label.value) if term_label else _esc(compact(iri))
        kinds = ", ".join(view.name(t.object.value) for t in desc.about(ox.NamedNode(iri))
                          if t.predicate.value == _TYPE and isinstance(t.object, ox.NamedNode))
        sections.append(f'<section id="{fragment}"><h3{view.lang_attr(term_label)}>{heading}</h3>'
                        f"<p><code>{_esc(iri)}</code>" + (f" · {kinds}" if kinds else "") + "</p>"
                        f"{view.table(ox.NamedNode(iri))}</section>")
    links, formats = _alternates(self_path)
    body = (f"<h1{title_lang}>{_esc(title)}</h1><p><code>{_esc(desc.iri)}</code></p>{view.table(desc.node)}"
            f"<h2>{_esc(words['terms'])}</h2>{''.join(sections)}<h2>{_esc(words['formats'])}</h2>{formats}"
            f'<p><a href="{_esc(self_path)}?format=html&amp;lang={words["other"]}" hreflang="{words["other"]}">'
            f"{_esc(words['switch'])}</a></p>")
    return _page(lang, title, title_lang, links, body)


def render_not_found(iri: str, lang: str) -> str:
    """A small HTML 404 page saying which IRI is unknown and where to look instead."""
    words = texts(lang)
    text = _esc(words["missing_text"]).replace("{iri}", f"<code>{_esc(iri)}</code>")
    return _page(lang, words["missing"], "", "", f"<h1>{_esc(words['missing'])}</h1><p>{text}</p>")
