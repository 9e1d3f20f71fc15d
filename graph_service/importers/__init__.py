"""Importing catalogue spreadsheets (CSV, XLSX) into the graph: all or nothing, one named graph per catalogue.

The columns are documented in mappings/templates/README.md. The whole catalogue is read,
resolved and SHACL-checked in memory first; only a catalogue without errors is written,
with `Store.replace_graph`, so a re-import replaces the previous one as a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pyoxigraph as ox

from ..namespaces import GRAPH_BASE
from ..store import Store, is_bookkeeping
from .build import Builder, Progress
from .resolve import known, slug
from .tables import XLSX_MEDIA, CatalogueUnreadable, Issue, Sheet, read_bytes, read_csv, read_files, read_xlsx

__all__ = ["CatalogueInvalid", "CatalogueUnreadable", "ImportReport", "Issue", "Progress", "Sheet", "XLSX_MEDIA",
           "check_graph", "default_graph", "graph_for", "import_catalogue", "read_bytes", "read_csv", "read_files",
           "read_xlsx"]

IMPORT_GRAPHS = GRAPH_BASE + "import/"


class CatalogueInvalid(Exception):
    """A catalogue has errors, listed all at once with their rows and columns; nothing was changed.

    `notes` says what the catalogue would have made new, `warnings` what strict SHACL mode finds.
    """

    def __init__(self, issues: Sequence[Issue], notes: Sequence[Issue], warnings: Sequence[Issue]):
        self.issues, self.notes, self.warnings = tuple(issues), tuple(notes), tuple(warnings)
        files = sorted({i.file for i in issues})
        super().__init__(f"{len(issues)} error(s) in {', '.join(files)}; nothing was imported")


@dataclass(frozen=True)
class ImportReport:
    """What an import did: its graph, whether it was written, counts per kind, new names, strict-mode findings."""

    graph: str
    written: bool
    counts: dict[str, int]
    notes: tuple[Issue, ...]
    warnings: tuple[Issue, ...]


def graph_for(file_name: str) -> str:
    """The default graph of a catalogue: ``…/graph/import/<file stem as a slug>``.

    >>> graph_for("Vård 2025.csv")
    'https://w3id.org/mikromerit/graph/import/vard-2025'
    """
    return IMPORT_GRAPHS + (slug(Path(file_name).stem) or "catalogue")


def default_graph(sheets: Sequence[Sheet]) -> str:
    """The graph a catalogue goes to unless told: named after its credentials file, else its first file."""
    first = next((sheet.file for sheet in sheets if sheet.kind == "credentials"), sheets[0].file)
    return graph_for(Path(first).name)


def check_graph(iri: str) -> str:
    """A graph IRI given for an import, checked to be absolute and not one of the store's own.

    :raises ValueError: saying what is wrong with it.
    """
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise ValueError(f"{iri!r} is not an absolute IRI: {err}") from err
    if is_bookkeeping(iri):
        raise ValueError(f"<{iri}> is the store's own bookkeeping graph; pick another graph IRI")
    return iri


def _order(issue: Issue) -> tuple[str, int, str]:
    return issue.file, issue.row or 0, issue.column or ""


def import_catalogue(store: Store, sheets: Sequence[Sheet], graph: str, *, dry_run: bool = False,
                     progress: Progress | None = None) -> ImportReport:
    """Check a whole catalogue, then make `graph` hold exactly it, in one atomic step.

    Names are resolved against the vocabularies and every graph of the store except `graph`
    itself, which the catalogue replaces.

    :raises CatalogueInvalid: listing every error found; the store is then unchanged.
    """
    index = known(store, skip_graph=graph)
    built = Builder(index, graph).build(sheets, progress)
    warnings: list[Issue] = []
    if not built.issues:
        from . import shacl  # rdflib and the shapes: ~80 ms a server need not spend before it answers

        errors, warnings = shacl.check(built, index, progress)
        built.issues += errors
    warnings.sort(key=_order)
    if built.issues:
        raise CatalogueInvalid(sorted(built.issues, key=_order), built.notes, warnings)
    if not dry_run:
        if progress:
            progress("writing", 0, 1)
        sources = ", ".join(dict.fromkeys(sheet.file for sheet in sheets))
        store.replace_graph(graph, built.quads, sources)
        store.flush()
        if progress:
            progress("writing", 1, 1)
    return ImportReport(graph, not dry_run, dict(built.counts), tuple(built.notes), tuple(warnings))
