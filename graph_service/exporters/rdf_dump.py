"""The catalogue itself as RDF (Turtle or JSON-LD): every catalogue graph merged, or one credential."""

from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import PREFIXES
from .records import Queryable, triple_rows

RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}


def catalogue_triples(store: Queryable, credential: str | None = None) -> list[ox.Triple]:
    """Every triple of the catalogue graphs (the bundled vocabularies left out), or those about one credential."""
    if credential:
        return triple_rows(store, "export-credential-dump", {"credential": ox.NamedNode(credential)})
    return triple_rows(store, "export-catalogue-dump")


def serialize(triples: list[ox.Triple], fmt: str) -> str:
    """Triples as Turtle (with the service's prefixes) or as expanded JSON-LD."""
    if fmt == "turtle":
        data = ox.serialize(triples, format=RDF_FORMATS[fmt], prefixes=dict(sorted(PREFIXES.items())))
    else:
        data = ox.serialize(triples, format=RDF_FORMATS[fmt])
    text = data.decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


def parse(text: str, fmt: str) -> list[ox.Triple]:
    """Triples from Turtle or JSON-LD text.

    :raises SyntaxError: if the text does not parse in that format.
    """
    return [quad.triple for quad in ox.parse(input=text.encode("utf-8"), format=RDF_FORMATS[fmt])]
