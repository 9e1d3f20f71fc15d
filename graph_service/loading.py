"""Open a store and fill it: the vocabularies always, then the pilot catalogue or the user's files."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .resources import bundled_graph_iri, pilot_files, vocabulary_files
from .store import Store


def open_graph(data: Sequence[str | Path] = (), store_dir: str | Path | None = None) -> Store:
    """Load ontology/ plus `data` (default: the bundled pilot catalogue) into a store.

    Every file goes into its own named graph; reloading an unchanged file replaces it.

    :raises LoadError: naming the file, line and column of the first file that does not parse;
        files loaded before it stay loaded, the failing one changes nothing.
    """
    store = Store(store_dir)
    for path in vocabulary_files():
        store.load_file(path, bundled_graph_iri(path))
    for path in [Path(p) for p in data] or pilot_files():
        store.load_file(path, bundled_graph_iri(path))
    return store
