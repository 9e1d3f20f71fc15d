"""``graph-service import``: read the files, import them with a progress bar, print what happened."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO, Iterator, Sequence

from ..loading import open_graph
from ..store import LoadError, Store
from . import CatalogueInvalid, ImportReport, Issue, Progress, default_graph, import_catalogue, read_files

BAR_FROM_ROWS = 500
"""A progress bar is drawn for imports of at least this many rows, on a terminal only."""
SHOWN = 20
"""Notes and warnings listed one by one; the rest are counted."""
_WARNINGS = "warning(s) of strict SHACL mode (EU standard elements missing)"


@contextmanager
def _bar(rows: int) -> Iterator[Progress | None]:
    """A Rich progress bar on stderr, one line per phase, when it helps (many rows, a terminal)."""
    if rows < BAR_FROM_ROWS or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

    with Bar(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
             console=Console(stderr=True)) as bar:
        tasks: dict[str, int] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _list(title: str, issues: Sequence[Issue], out: IO[str], limit: int | None = SHOWN) -> None:
    """Print a titled list of issues, the first `limit` of them one per line."""
    if not issues:
        return
    print(f"{len(issues)} {title}:", file=out)
    for issue in issues[:limit]:
        print(f"  {issue.text()}", file=out)
    if limit is not None and len(issues) > limit:
        print(f"  … and {len(issues) - limit} more", file=out)


def _summary(report: ImportReport, files: Sequence[str], where: str) -> str:
    """One line saying what was imported where."""
    counts = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(report.counts.items()))
    verb = "imported" if report.written else "checked (nothing written)"
    return f"{verb}: {', '.join(files)}: {counts or 'no rows'} into <{report.graph}> {where}"


def run(files: Sequence[str], store_dir: str | None, graph: str | None, dry_run: bool) -> int:
    """Import catalogue files into a store; 0 when imported (or checked), 1 when the data has errors.

    Without a store directory the catalogue is only checked, against the bundled graph.

    :raises LoadError: if a file or the store cannot be read (the command exits 2).
    """
    sheets = read_files(files)
    target = graph or default_graph(sheets)
    try:
        store = Store(store_dir) if store_dir else open_graph()
    except OSError as err:
        raise LoadError(store_dir or "", f"cannot open the store (is a server using it?): {err}") from err
    write = store_dir is not None and not dry_run
    try:
        with _bar(sum(len(s.rows) for s in sheets)) as progress:
            report = import_catalogue(store, sheets, target, dry_run=not write, progress=progress)
    except CatalogueInvalid as err:
        print(f"graph-service import: {err}:", file=sys.stderr)
        _list("error(s)", err.issues, sys.stderr, limit=None)
        _list("new name(s) it would have made", err.notes, sys.stderr)
        _list(_WARNINGS, err.warnings, sys.stderr)
        return 1
    where = f"in {store_dir}" if store_dir else "(no --store: checked against the bundled graph, nothing kept)"
    print(_summary(report, files, where))
    _list("new name(s)", report.notes, sys.stdout)
    _list(_WARNINGS, report.warnings, sys.stdout)
    return 0
