"""SPARQL text for a remote server: parameters as VALUES, the query form, JSON result terms, insert chunks.

Pure functions (no I/O) used by remote.RemoteStore; every RDF term that reaches query text
is a parsed pyoxigraph term written in its N-Triples form, never user text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Mapping

import pyoxigraph as ox

from .namespaces import XSD
from .store import Term

SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
CHUNK_TRIPLES = 500
CHUNK_CHARS = 200_000
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What may hide a keyword, a brace or an operator: comments, strings, IRIs, variables, prefixed names.
_SKIP = r"""(?P<skip>\#[^\n]*|'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"
        |<[^<>"{}|^`\\\x00-\x20]*>|[?$]\w+|[\w.-]*:[\w.:%-]*)"""
_TOKENS = re.compile(_SKIP + r"|(?P<word>[A-Za-z]+)|(?P<brace>\{)", re.DOTALL | re.VERBOSE)
# Brackets, and the operators that chain (UNION, paths, arithmetic, logic); ^^ and != are not chains.
_STRUCTURE = re.compile(_SKIP + r"|(?P<pair>\^\^|!=)|(?P<open>[{(\[])|(?P<close>[})\]])"
                                r"|(?P<op>\|\||&&|[|/+*!^-]|(?i:\bunion\b))", re.DOTALL | re.VERBOSE)


def inject_bindings(sparql: str, bindings: Mapping[str, Term]) -> str:
    """Bind variables by a VALUES block right after the outer WHERE's opening brace.

    Every value is a parsed pyoxigraph term written in its N-Triples form, so no user text
    ever becomes query syntax.

    >>> inject_bindings("SELECT ?a WHERE { ?a ?p ?o }", {"a": ox.NamedNode("http://ex/x")})
    'SELECT ?a WHERE { VALUES (?a) { (<http://ex/x>) } ?a ?p ?o }'

    :raises ValueError: for a bad variable name, a blank node value, or a query with no WHERE group.
    """
    if not bindings:
        return sparql
    names = list(bindings)
    for name in names:
        if not _VARIABLE.match(name):
            raise ValueError(f"{name!r} is not a SPARQL variable name")
        if not isinstance(bindings[name], (ox.NamedNode, ox.Literal)):
            raise ValueError(f"?{name}: only IRIs and literals can be bound, not {bindings[name]!r}")
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(str(bindings[n]) for n in names)}) }}"
    at = _where_brace(sparql)
    return f"{sparql[:at]} {block}{sparql[at:]}"


def structure(sparql: str) -> tuple[int, int]:
    """How deeply a SPARQL text nests brackets, and how many chaining operators it has.

    Both drive recursion in the query engine's parser and evaluator, so a hostile text can
    exhaust its stack; callers refuse texts past a limit before they reach the engine.

    >>> structure('SELECT ?s WHERE { { ?s ?p "((" } UNION { ?s ?p ?o FILTER(1 + 2) } }')
    (3, 2)
    """
    depth = deepest = operators = 0
    for match in _STRUCTURE.finditer(sparql):
        if match.group("open"):
            depth += 1
            deepest = max(deepest, depth)
        elif match.group("close"):
            depth = max(depth - 1, 0)
        elif match.group("op"):
            operators += 1
    return deepest, operators


def keywords(sparql: str) -> set[str]:
    """The upper-cased bare words of a SPARQL text, outside comments, strings, IRIs and names.

    >>> sorted(keywords('SELECT * WHERE { ?s ?p "SERVICE" } # LOAD'))
    ['SELECT', 'WHERE']
    """
    return {m.group("word").upper() for m in _TOKENS.finditer(sparql) if m.group("word")}


def query_form(sparql: str) -> str:
    """The query form (SELECT, ASK, CONSTRUCT or DESCRIBE), read past the prologue and comments.

    >>> query_form("# describe it\\nPREFIX ex: <http://ex/#>\\nSELECT * WHERE { ?s ?p ?o }")
    'SELECT'

    :raises SyntaxError: if the text is none of the four query forms.
    """
    for match in _TOKENS.finditer(sparql):
        word = (match.group("word") or "").upper()
        if word in (SELECT, ASK, CONSTRUCT, DESCRIBE):
            return word
        if match.group("brace") or (word and word not in ("PREFIX", "BASE")):
            break
    raise SyntaxError("not a SPARQL query: it should start with SELECT, ASK, CONSTRUCT or DESCRIBE "
                     "(after PREFIX and BASE declarations)")


def _where_brace(sparql: str) -> int:
    """The offset just past the opening brace of the outer WHERE group (or the first group)."""
    first_brace, after_where = None, False
    for match in _TOKENS.finditer(sparql):
        if match.group("word"):
            after_where = match.group("word").upper() == "WHERE"
        elif match.group("brace"):
            if after_where:
                return match.end()
            first_brace = match.end() if first_brace is None else first_brace
        else:
            after_where = after_where and match.group("skip").startswith("#")
    if first_brace is None:
        raise ValueError("the query has no WHERE group to bind parameters in")
    return first_brace


def term_from_json(cell: Mapping[str, str]) -> Term:
    """One SPARQL JSON results value as a pyoxigraph term, smoothing over server dialects.

    Virtuoso writes ``typed-literal``, ``"1"^^xsd:boolean`` for true and ``nodeID://b1`` blank nodes.

    >>> term_from_json({"type": "typed-literal", "datatype": XSD + "boolean", "value": "1"})
    <Literal value=true datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#boolean>>

    :raises ValueError: for a kind of value the service does not handle (e.g. RDF-star triples).
    """
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(re.sub(r"\W", "_", value.removeprefix("nodeID://")) or "b")
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in cell:
            return ox.Literal(value, language=cell["xml:lang"])
        datatype = cell.get("datatype")
        if datatype == XSD + "boolean":
            value = {"1": "true", "0": "false"}.get(value, value)
        return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)
    raise ValueError(f"unsupported value in SPARQL results: {dict(cell)!r}")


def term_to_json(term: Term) -> dict[str, str]:
    """A term as a standard SPARQL JSON results value."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    cell = {"type": "literal", "value": term.value}
    if term.language:
        cell["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        cell["datatype"] = term.datatype.value
    return cell


def chunks(triples: list[ox.Triple]) -> list[list[ox.Triple]]:
    """Split triples into update-sized chunks, keeping every blank node's triples in one chunk."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for triple in triples:
        nodes = [root(n) for n in (triple.subject, triple.object) if isinstance(n, ox.BlankNode)]
        for node in nodes[1:]:
            parent[node] = nodes[0]
    units: dict[object, list[ox.Triple]] = defaultdict(list)
    for index, triple in enumerate(triples):
        node = next((n for n in (triple.subject, triple.object) if isinstance(n, ox.BlankNode)), None)
        units[root(node) if node is not None else index].append(triple)
    out: list[list[ox.Triple]] = [[]]
    size = 0
    for unit in units.values():
        chars = sum(len(str(t)) for t in unit)
        if out[-1] and (len(out[-1]) + len(unit) > CHUNK_TRIPLES or size + chars > CHUNK_CHARS):
            out.append([])
            size = 0
        out[-1].extend(unit)
        size += chars
    return [chunk for chunk in out if chunk]


def insert_text(graph: ox.NamedNode, triples: list[ox.Triple]) -> str:
    """An update adding triples to a graph: INSERT DATA, or INSERT … WHERE {} when blank nodes are in it.

    (Virtuoso refuses blank nodes in INSERT DATA; in an INSERT template they are fresh per
    update, which is why a blank node's triples never straddle two chunks.)
    """
    labels: dict[ox.BlankNode, str] = {}

    def text(term: Term) -> str:
        if isinstance(term, ox.BlankNode):
            return labels.setdefault(term, f"_:b{len(labels)}")
        return str(term)

    body = "\n".join(f"{text(t.subject)} {t.predicate} {text(t.object)} ." for t in triples)
    if labels:
        return f"INSERT {{ GRAPH {graph} {{\n{body}\n}} }} WHERE {{ }}"
    return f"INSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}"
