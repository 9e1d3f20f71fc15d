"""The part of the store an export carries back: what ``read_back(export(...))`` must give again.

Each projection is a query over the store that returns triples (queries/export-*-projection.rq and
export-*-dump.rq, one triple per row), so the round-trip tests compare the exporters with the
graph itself, not with a second hand-written mapping.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..catalogue import load_catalogue
from . import ctdl
from .records import ExportError, Queryable, triple_rows
from .rdf_dump import RDF_FORMATS, catalogue_triples
from .terms import mm

_LINKS = (mm("prerequisite"), mm("nextRole"))


def projection(store: Queryable, fmt: str, credential: str | None = None, time_limit: float = 5.0
               ) -> list[ox.Triple]:
    """The mm: triples an export in `fmt` carries for every credential (or `credential`), sorted.

    For ctdl, the credentials and roles of every pathway (or of those `credential` is on), with
    prerequisites and next roles only between members of the same pathway.

    :raises ExportError: for an unknown format.
    """
    if fmt in RDF_FORMATS:
        return catalogue_triples(store, credential)
    bindings = {"credential": ox.NamedNode(credential)} if credential else None
    if fmt in ("elm", "ob3"):
        return triple_rows(store, f"export-{fmt}-projection", bindings)
    if fmt != "ctdl":
        raise ExportError(f"no projection for format {fmt!r}")
    found: set[ox.Triple] = set()
    for ladder in ctdl.ladders(load_catalogue(store), time_limit):
        members = set(ladder.members)
        if credential and credential not in members:
            continue
        for member in sorted(members):
            for triple in triple_rows(store, "export-ctdl-projection", {"resource": ox.NamedNode(member)}):
                if triple.predicate not in _LINKS or triple.object.value in members:
                    found.add(triple)
    return sorted(found, key=str)
