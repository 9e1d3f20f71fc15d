"""Where the bundled folders (ontology/, mappings/, queries/) are: the source tree or the install."""

from __future__ import annotations

import sys
from pathlib import Path

from .namespaces import GRAPH_BASE

BUNDLED = ("ontology", "mappings", "queries")


def resource_dir(name: str) -> Path:
    """Locate a bundled folder by name.

    :raises FileNotFoundError: if neither the source tree nor the installed copy has it.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / name, Path(sys.prefix) / "share" / "graph-service" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found beside {here} or under {sys.prefix}/share")


def vocabulary_files() -> list[Path]:
    """The Turtle files in ontology/ (vocabularies and shapes), always loaded."""
    return sorted(resource_dir("ontology").glob("*.ttl"))


def pilot_files() -> list[Path]:
    """The bundled pilot catalogue in mappings/."""
    return sorted(resource_dir("mappings").glob("*.ttl"))


def bundled_graph_iri(path: Path) -> str:
    """A stable graph IRI for a bundled file (same on every machine), else the file's URI."""
    for name in BUNDLED:
        try:
            folder = resource_dir(name)
        except FileNotFoundError:
            continue
        if path.resolve().parent == folder.resolve():
            return f"{GRAPH_BASE}{name}/{path.name}"
    return path.resolve().as_uri()
