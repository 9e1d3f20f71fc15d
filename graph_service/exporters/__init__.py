"""Exports of the catalogue in the EU and neighbouring standards, and reading them back.

``export(store, fmt)`` writes one of:

- ``elm``: ELM v3 JSON-LD, one elm:LearningAchievementSpecification per micro-credential;
- ``ob3``: Open Badges 3.0 ``Achievement`` JSON, one per micro-credential;
- ``ctdl``: CTDL JSON-LD, one ``ceterms:Pathway`` per career ladder;
- ``turtle`` / ``jsonld``: the catalogue graphs themselves (bundled vocabularies left out).

``read_back(text, fmt)`` turns an export into mm: triples again, for the elements both sides
carry; ``projection(store, fmt)`` gives those same elements straight from the store.
Credential IRIs are the export ids, so a round trip lands on the same resources.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from . import ctdl, elm, ob3
from .projection import projection
from .rdf_dump import RDF_FORMATS, catalogue_triples, parse, serialize
from .records import ExportError, Queryable, credential_records, descriptions

FORMATS = ("elm", "ob3", "ctdl", "turtle", "jsonld")

__all__ = ["FORMATS", "ExportError", "export", "projection", "read_back"]


def _check_format(fmt: str) -> None:
    """Refuse an unknown format with the list of known ones."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def _json(doc: object) -> str:
    """Stable, readable JSON text (UTF-8 kept as is)."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def export(store: Queryable, fmt: str, credential: str | None = None) -> str:
    """The catalogue (or one credential) in `fmt`, as text.

    For ctdl, `credential` picks the pathways that credential (or role) is on.

    :raises ExportError: for an unknown format, or a `credential` IRI the graph has no
        micro-credential for (ctdl: that is on no pathway).
    """
    _check_format(fmt)
    if fmt in RDF_FORMATS:
        if credential:
            credential_records(store, credential)  # raises ExportError for an unknown credential
        return serialize(catalogue_triples(store, credential), fmt)
    described = descriptions(store)
    if fmt == "ctdl":
        return _json(ctdl.document(store, described, credential))
    records = credential_records(store, credential)
    module = elm if fmt == "elm" else ob3
    return _json(module.document(records, described, single=credential is not None))


def read_back(text: str, fmt: str) -> list[ox.Triple]:
    """The mm: triples an export carries (for turtle/jsonld: every triple), without duplicates.

    :raises ExportError: for an unknown format or text that is not JSON.
    :raises SyntaxError: for Turtle or JSON-LD that does not parse.
    :raises ValueError: for a value of the wrong form (a duration, a number).
    """
    _check_format(fmt)
    if fmt in RDF_FORMATS:
        triples = parse(text, fmt)
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ExportError(f"the {fmt} export is not JSON: {err}") from err
        triples = {"elm": elm.read, "ob3": ob3.read, "ctdl": ctdl.read}[fmt](doc)
    return sorted(set(triples), key=str)
