"""sparql_text.py: bindings as VALUES, the query form, JSON result terms of other servers, insert chunks."""

from __future__ import annotations

import doctest

import pyoxigraph as ox
import pytest

from graph_service import sparql_text
from graph_service.namespaces import XSD
from graph_service.sparql_text import chunks, inject_bindings, insert_text, query_form, term_from_json, term_to_json
from graph_service.store import Store

EX = "http://example.org/"


def test_doc_examples_run() -> None:
    assert doctest.testmod(sparql_text).failed == 0


@pytest.mark.parametrize("text,expected", [
    ("SELECT ?a WHERE { ?a ?p ?o }", "SELECT ?a WHERE { VALUES (?a) { (<http://example.org/x>) } ?a ?p ?o }"),
    ("SELECT * { ?a ?p ?o }", "SELECT * { VALUES (?a) { (<http://example.org/x>) } ?a ?p ?o }"),
    ("# WHERE { in a comment\nPREFIX ex: <http://example.org/#>\nSELECT ?a (\"}{\" AS ?s) WHERE\n# {\n{ ?a ex:WHERE ?o }",
     "# WHERE { in a comment\nPREFIX ex: <http://example.org/#>\nSELECT ?a (\"}{\" AS ?s) WHERE\n# {\n{ VALUES (?a) "
     "{ (<http://example.org/x>) } ?a ex:WHERE ?o }"),
    ("CONSTRUCT { ?a ?p ?o } WHERE { ?a ?p ?o }",
     "CONSTRUCT { ?a ?p ?o } WHERE { VALUES (?a) { (<http://example.org/x>) } ?a ?p ?o }"),
])
def test_bindings_go_into_the_outer_where_group(text: str, expected: str) -> None:
    assert inject_bindings(text, {"a": ox.NamedNode(EX + "x")}) == expected


def test_bound_values_are_terms_and_the_query_still_runs() -> None:
    store = Store()
    store.update(f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> "x\\" }} ; DROP ALL ; #"@sv, "plain" }} }}')
    hostile = ox.Literal('x" } ; DROP ALL ; #', language="sv")
    text = inject_bindings("SELECT ?s ?o WHERE { ?s ?p ?o }", {"o": hostile, "s": ox.NamedNode(EX + "a")})
    assert [(r["s"], r["o"]) for r in store.select(text)] == [(ox.NamedNode(EX + "a"), hostile)]


def test_only_iris_and_literals_under_variable_names_can_be_bound() -> None:
    with pytest.raises(ValueError, match="only IRIs and literals"):
        inject_bindings("SELECT ?a WHERE { ?a ?p ?o }", {"a": ox.BlankNode()})
    with pytest.raises(ValueError, match="not a SPARQL variable name"):
        inject_bindings("SELECT ?a WHERE { ?a ?p ?o }", {"a) {} DROP": ox.NamedNode(EX + "x")})
    with pytest.raises(ValueError, match="no WHERE group"):
        inject_bindings(f"DESCRIBE <{EX}x>", {"a": ox.NamedNode(EX + "x")})
    assert inject_bindings(f"DESCRIBE <{EX}x>", {}) == f"DESCRIBE <{EX}x>"


def test_query_form_is_not_fooled_by_keywords_in_comment_headers() -> None:
    # SPARQLWrapper's own guess took resource-links.rq ("... the resource to describe") for a DESCRIBE.
    text = "# Everything said\n# param: resource IRI  the resource to describe\nPREFIX mm: <x#>\nSELECT * {}"
    assert query_form(text) == "SELECT"
    assert query_form("base <http://example.org/> ask { }") == "ASK"
    assert query_form("CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    with pytest.raises(SyntaxError, match="not a SPARQL query"):
        query_form("INSERT DATA { <a> <b> <c> }")


def test_json_terms_of_virtuoso_read_like_standard_ones() -> None:
    virtuoso = [
        {"type": "typed-literal", "datatype": XSD + "boolean", "value": "1"},
        {"type": "typed-literal", "datatype": XSD + "decimal", "value": "16"},
        {"type": "literal", "xml:lang": "sv-se", "value": "Vårdbiträde"},
        {"type": "typed-literal", "datatype": XSD + "string", "value": "b"},
        {"type": "bnode", "value": "nodeID://b10000"},
    ]
    assert [term_from_json(cell) for cell in virtuoso] == [
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("16", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("Vårdbiträde", language="sv-SE"),
        ox.Literal("b"),
        ox.BlankNode("b10000"),
    ]
    with pytest.raises(ValueError, match="unsupported value"):
        term_from_json({"type": "triple", "value": {}})


@pytest.mark.parametrize("term", [ox.NamedNode(EX + "a"), ox.BlankNode("x1"), ox.Literal("plain"),
                                  ox.Literal("hej", language="sv"), ox.Literal("4", datatype=ox.NamedNode(XSD + "integer"))])
def test_terms_round_trip_through_standard_json(term) -> None:
    assert term_from_json(term_to_json(term)) == term


def _list_triples(length: int) -> list[ox.Triple]:
    """An RDF list of `length` items hanging off one IRI: a chain of blank nodes."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    nodes = [ox.BlankNode() for _ in range(length)]
    triples = [ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "list"), nodes[0])]
    for i, node in enumerate(nodes):
        triples.append(ox.Triple(node, ox.NamedNode(rdf + "first"), ox.Literal(str(i))))
        rest = nodes[i + 1] if i + 1 < length else ox.NamedNode(rdf + "nil")
        triples.append(ox.Triple(node, ox.NamedNode(rdf + "rest"), rest))
    return triples


def test_a_blank_node_structure_stays_in_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparql_text, "CHUNK_TRIPLES", 10)
    plain = [ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i))) for i in range(25)]
    structure = _list_triples(8)  # 17 triples joined by blank nodes
    found = chunks(plain[:12] + structure + plain[12:])
    assert sorted(map(str, (t for chunk in found for t in chunk))) == sorted(map(str, plain + structure))
    holding = [chunk for chunk in found if any(isinstance(t.object, ox.BlankNode) for t in chunk)]
    assert len(holding) == 1 and all(t in holding[0] for t in structure)
    assert all(len(chunk) <= 10 for chunk in found if chunk is not holding[0])


def test_insert_text_runs_and_keeps_blank_nodes_joined() -> None:
    store = Store()
    graph = ox.NamedNode(EX + "g")
    with_nodes, without = insert_text(graph, _list_triples(3)), insert_text(graph, [
        ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal('a "quoted"\nline', language="sv"))])
    assert with_nodes.startswith("INSERT {") and "_:b0" in with_nodes and without.startswith("INSERT DATA")
    store.update(with_nodes + " ;\n" + without)
    items = store.select(f"SELECT ?item WHERE {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}list>/<http://www.w3.org/1999/02/"
                         "22-rdf-syntax-ns#rest>*/<http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ?item } }")
    assert sorted(r["item"].value for r in items) == ["0", "1", "2"]
    assert len(store.graph_triples(EX + "g")) == 8
