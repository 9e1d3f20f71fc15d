"""Open a store and fill it: the vocabularies always, then the pilot catalogue or the user's files."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from .resources import bundled_graph_iri, pilot_files, vocabulary_files
from .store import Store


class Loadable(Protocol):
    """What filling a graph needs of a store: the embedded Store or a remote.RemoteStore."""

    def load_file(self, path: str | Path, graph: str | None = None) -> str: ...


def source_files(data: Sequence[str | Path] = ()) -> list[Path]:
    """The files a graph is made of: ontology/ plus `data` (default: the bundled pilot catalogue)."""
    return vocabulary_files() + ([Path(p) for p in data] or pilot_files())


def fill_graph(store: Loadable, data: Sequence[str | Path] = ()) -> list[str]:
    """Load ontology/ plus `data` into a store, each file into its own named graph; return the graph IRIs.

    :raises LoadError: naming the file, line and column of the first file that does not parse;
        files loaded before it stay loaded, the failing one changes nothing.
    """
    return [store.load_file(path, bundled_graph_iri(path)) for path in source_files(data)]


def open_graph(data: Sequence[str | Path] = (), store_dir: str | Path | None = None) -> Store:
    """Load ontology/ plus `data` (default: the bundled pilot catalogue) into a store.

    Every file goes into its own named graph; reloading an unchanged file replaces it.

    :raises LoadError: naming the file, line and column of the first file that does not parse;
        files loaded before it stay loaded, the failing one changes nothing.
    """
    store = Store(store_dir)
    fill_graph(store, data)
    return store
