"""Backup and restore of a store directory: every quad, bookkeeping graph included, as one N-Quads or TriG file.

The bookkeeping graph says which file each source came from, so `graph-service restore`
brings back the same sources list as well as the same data. A restore parses the whole
file before it writes, and writes in one atomic step (`Store.replace_all`).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .store import LoadError, Store, parse_file, rdf_format_for

DUMP_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


class RestoreRefused(Exception):
    """A restore would overwrite a store that already holds data; nothing was changed."""


def dump_format(path: str | Path) -> ox.RdfFormat:
    """The dataset format a dump file's extension names: N-Quads (.nq) or TriG (.trig).

    :raises LoadError: for another extension (the other formats cannot hold named graphs).
    """
    fmt = rdf_format_for(path)
    if fmt not in DUMP_FORMATS:
        raise LoadError(str(path), "a dump keeps the named graphs: name the file .nq (N-Quads) or .trig (TriG)")
    return fmt


def open_store(directory: str | Path, must_exist: bool) -> Store:
    """Open a store directory for a dump (which must exist) or a restore (which may make it).

    :raises LoadError: if there is no store to dump, or the store cannot be opened.
    """
    if must_exist and not Path(directory).is_dir():
        raise LoadError(str(directory), "there is no store directory here to dump")
    try:
        return Store(directory)
    except OSError as err:
        raise LoadError(str(directory), f"cannot open the store (is a server using it? stop it first): {err}") from err


def dump(directory: str | Path, output: str | Path | None = None) -> bytes | None:
    """Write every quad of a store directory to `output` (.nq or .trig), or return them as N-Quads.

    :raises LoadError: for a missing store, a store in use, or an output name of another format.
    """
    fmt = dump_format(output) if output is not None else ox.RdfFormat.N_QUADS
    store = open_store(directory, must_exist=True)
    return store.dump(Path(output) if output is not None else None, fmt)


def restore(directory: str | Path, path: str | Path, replace: bool = False) -> int:
    """Fill a store directory from a dump in one atomic step; return how many quads it now holds.

    :raises LoadError: with the file, line and column when the dump does not parse (nothing written).
    :raises RestoreRefused: when the store holds data and `replace` is not set (nothing written).
    """
    quads = parse_file(path, dump_format(path))
    store = open_store(directory, must_exist=False)
    if not replace and not store.is_empty():
        raise RestoreRefused(f"{directory} already holds {len(store)} quads; restore into an empty or new "
                             "directory, or add --replace to replace all of them")
    store.replace_all(quads)
    store.flush()
    return len(store)
