"""The ``graph-service`` command: serve, validate, query, gap, ladder, coverage, load, import, dump, restore.

Exit status: 0 success (or conforms), 1 does not conform / a data check found rows,
2 bad input or a file that cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Sequence

import pyoxigraph as ox

from .affinity import keep_threads_on_one_cpu
from .exporters import FORMATS, ExportError, export
from .loading import open_graph, source_files
from .memory import limit_malloc_arenas
from .namespaces import PREFIXES, expand
from .queries import QueryError, get_query, named_queries
from .resources import bundled_graph_iri
from .settings import Settings
from .store import LoadError, Store

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .remote import RemoteStore
    from .service import Service

# Modules that only some commands need (rdflib, pydantic, the planner, SPARQLWrapper: ~0.4 s) are
# imported by those commands, so `serve` starts loading the graph at once and imports the web
# stack beside the load.

EXIT_OK, EXIT_NONCONFORMANT, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input on the command line; printed to stderr with exit status 2."""


def _data_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that open the graph."""
    parser.add_argument("--data", action="append", default=[], metavar="FILE",
                        help="catalogue file (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) to load "
                        "in place of the bundled pilots; repeat for several")
    parser.add_argument("--store", metavar="DIR", help="keep the graph on disk in DIR (default: in memory)")
    _endpoint_options(parser)


def _endpoint_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """Options naming an external SPARQL 1.1 server to use in place of the embedded store."""
    parser.add_argument("--endpoint", metavar="URL", required=required,
                        help="an external SPARQL 1.1 endpoint to use instead of the embedded store "
                        "(fill it with `graph-service load`)")
    parser.add_argument("--update-endpoint", metavar="URL",
                        help="its SPARQL Update endpoint, when not the same URL (e.g. Oxigraph's /update)")
    parser.add_argument("--endpoint-user", metavar="NAME", help="user for HTTP Basic or Digest authentication")
    parser.add_argument("--endpoint-password", metavar="PASSWORD",
                        help="its password (or set GRAPH_SERVICE_ENDPOINT_PASSWORD)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subcommand per job."""
    parser = argparse.ArgumentParser(prog="graph-service", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP API on the graph")
    _data_options(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-validate", action="store_true", help="skip the SHACL check of --data files at start")
    serve.add_argument("--token-file", metavar="FILE",
                       help="file holding the bearer token that allows SPARQL Update and Graph Store writes "
                       "(or set GRAPH_SERVICE_TOKEN); without one the endpoint is read-only")
    serve.add_argument("--query-timeout", type=float, default=Settings.query_timeout, metavar="SECONDS",
                       help="stop a public SPARQL query after this long")
    serve.add_argument("--row-cap", type=int, default=Settings.row_cap, metavar="N",
                       help="return at most N rows per SPARQL query (reported in the X-Results-Truncated header)")
    serve.add_argument("--one-cpu", action="store_true",
                       help="keep the server's threads on the CPU it loads on (they take turns under Python's "
                       "GIL; its SPARQL workers still use every CPU): faster on a machine it has to itself")

    validate = sub.add_parser("validate", help="SHACL-validate catalogue files (exit 1 when not conformant)")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--mode", choices=["strict", "core"], default="strict",
                          help="strict: every EU standard element is required; core: missing ones are warnings")
    validate.add_argument("--format", choices=["text", "json"], default="text")

    query = sub.add_parser("query", help="run a named query from queries/ or a SPARQL file")
    query.add_argument("name", nargs="?", metavar="NAME|FILE", help="omit to list the named queries")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="bind a parameter (an IRI, a prefixed name such as eqf:4, or a literal)")
    query.add_argument("--format", choices=["table", "json", "csv"], default="table")
    _data_options(query)

    gap = sub.add_parser("gap", help="what a person misses for a target role and the credentials that bridge it "
                         "(prints the JSON of POST /api/gap)")
    _holds_option(gap)
    gap.add_argument("--target", required=True, metavar="IRI", help="the role aimed for")
    _planning_options(gap)

    ladder = sub.add_parser("ladder", help="the shortest chain of roles from one to another, with a plan per step "
                            "(prints the JSON of GET /api/ladder)")
    ladder.add_argument("--from", dest="source", required=True, metavar="IRI", help="the role held now")
    ladder.add_argument("--to", required=True, metavar="IRI", help="the role aimed for")
    _holds_option(ladder)
    _planning_options(ladder)

    coverage = sub.add_parser("coverage", help="which demand (role requirements, life areas, plan sections) "
                              "credentials cover (prints the JSON of GET /api/coverage)")
    coverage.add_argument("--lang", choices=["sv", "en"], default="sv", help="label language")
    _data_options(coverage)

    load = sub.add_parser("load", help="replace the graphs on an external SPARQL server with the vocabularies and "
                          "the catalogue, each file in its own named graph")
    load.add_argument("files", nargs="*", metavar="FILE", help="catalogue files (default: the bundled pilots); graphs of other "
                      "files already on the server stay")
    _endpoint_options(load, required=True)

    importer = sub.add_parser("import", help="import a catalogue spreadsheet (CSV sheets or one XLSX workbook; columns "
                              "in mappings/templates/README.md) into its own named graph, all or nothing "
                              "(exit 1 with every error listed)")
    importer.add_argument("files", nargs="+", metavar="FILE", help="credentials.csv [roles.csv] [competences.csv], "
                          "told apart by their id column, or catalogue.xlsx with those sheets")
    importer.add_argument("--store", metavar="DIR", help="the store to import into (without it the catalogue is only "
                          "checked, against the bundled graph)")
    importer.add_argument("--graph", metavar="IRI", help="the named graph to replace (default: "
                          "https://w3id.org/mikromerit/graph/import/<stem of the credentials file>)")
    importer.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    dump = sub.add_parser("dump", help="back up a store directory: every quad, the bookkeeping graph included so the "
                          "sources survive (stop a server using it first)")
    dump.add_argument("--store", required=True, metavar="DIR", help="the store directory to back up")
    dump.add_argument("--output", metavar="FILE", help="write here, as N-Quads (.nq) or TriG (.trig), instead of "
                      "N-Quads to standard output")

    restore = sub.add_parser("restore", help="fill a store directory from a dump, all or nothing (exit 2 with the "
                             "file and line of a dump that does not parse)")
    restore.add_argument("file", metavar="FILE", help="a dump written by graph-service dump (.nq or .trig)")
    restore.add_argument("--store", required=True, metavar="DIR", help="the store directory (made if missing)")
    restore.add_argument("--replace", action="store_true", help="replace everything a store that is not empty holds "
                         "(without it such a store is refused)")

    exporter = sub.add_parser("export", help="export the catalogue as ELM v3 JSON-LD, Open Badges 3.0 Achievements, "
                              "CTDL pathways, Turtle or JSON-LD")
    exporter.add_argument("--format", required=True, choices=FORMATS, help="the standard to export to")
    exporter.add_argument("--credential", metavar="IRI", help="only this credential (for ctdl: a credential or role "
                          "whose pathways to export)")
    exporter.add_argument("--out", metavar="FILE", help="write here instead of to standard output")
    _data_options(exporter)
    return parser


def _holds_option(parser: argparse.ArgumentParser) -> None:
    """--holds, repeatable, empty by default."""
    parser.add_argument("--holds", action="append", default=[], metavar="IRI",
                        help="a credential, competence or role the person holds; repeat for several")


def _planning_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by gap and ladder."""
    parser.add_argument("--lang", choices=["sv", "en"], default="sv", help="label language")
    parser.add_argument("--time-limit", type=float, default=Settings.plan_time_limit, metavar="SECONDS",
                        help="stop the optimiser after this long and report the best plan as not optimal")
    _data_options(parser)


def _print_table(variables: list[str], rows: list[dict[str, object]]) -> None:
    """Print rows as an aligned text table with short names for known namespaces."""
    cells = [[_short(row.get(v)) for v in variables] for row in rows]
    widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(variables)]
    print("  ".join(v.ljust(w) for v, w in zip(variables, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _short(term: object) -> str:
    """A term as a person reads it: prefixed IRI, or the literal's text."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, base in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if term.value.startswith(base):
                return f"{prefix}:{term.value[len(base):]}"
        return f"<{term.value}>"
    return getattr(term, "value", str(term))


def _endpoint_password(args: argparse.Namespace) -> str | None:
    """--endpoint-password, else GRAPH_SERVICE_ENDPOINT_PASSWORD when a user is given."""
    if args.endpoint_password is None and args.endpoint_user is not None:
        return os.environ.get("GRAPH_SERVICE_ENDPOINT_PASSWORD")
    return args.endpoint_password


def _remote(args: argparse.Namespace) -> RemoteStore:
    """The external SPARQL server named by --endpoint, checked to answer.

    :raises EndpointError: if it cannot be reached.
    """
    from .remote import RemoteStore

    store = RemoteStore(args.endpoint, args.update_endpoint, args.endpoint_user, _endpoint_password(args))
    store.check()
    return store


def _open(args: argparse.Namespace) -> Store | RemoteStore:
    """Open the graph the command asked for: the embedded store, or the server given by --endpoint.

    :raises UsageError: for --endpoint together with --data or --store.
    """
    if getattr(args, "endpoint", None):
        if args.data or args.store:
            raise UsageError("--endpoint reads the graph on the server; put files there with "
                             "`graph-service load --endpoint URL FILE...` instead of --data/--store")
        return _remote(args)
    return open_graph(args.data, args.store)


def cmd_load(args: argparse.Namespace) -> int:
    """Replace each file's named graph on the server named by --endpoint (vocabularies first)."""
    store = _remote(args)
    for path in source_files(args.files):
        graph = store.load_file(path, bundled_graph_iri(path))
        print(f"loaded {path} into <{graph}>")
    print(f"{args.endpoint} now holds {len(store)} quads in {len(store.named_graphs())} graphs")
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """Run a named query or SPARQL file and print the result."""
    if not args.name:
        for q in named_queries().values():
            params = ", ".join(f"{p.name} ({p.kind})" for p in q.params) or "no parameters"
            print(f"{q.name}\n    {q.description}\n    parameters: {params}")
        return EXIT_OK
    query = get_query(args.name)
    raw = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: write NAME=VALUE, e.g. --param level=eqf:4")
        raw[name] = value
    result = _open(args).query(query.text, query.bind(raw))
    if isinstance(result, ox.QueryBoolean):
        print("true" if bool(result) else "false")
        return EXIT_OK
    if isinstance(result, (ox.QueryTriples, list)):  # a remote CONSTRUCT gives a list of triples
        sys.stdout.write(ox.serialize(list(result), format=ox.RdfFormat.TURTLE).decode())
        return EXIT_OK
    if args.format != "table":
        fmt = ox.QueryResultsFormat.JSON if args.format == "json" else ox.QueryResultsFormat.CSV
        sys.stdout.write(result.serialize(format=fmt).decode())
        return EXIT_OK
    variables = [v.value for v in result.variables]
    rows = [{v: row[v] for v in variables} for row in result]
    _print_table(variables, rows)
    return EXIT_NONCONFORMANT if query.is_check and rows else EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate files and print the report."""
    from .validation import validate_files

    report = validate_files(args.files, mode=args.mode)
    if args.format == "json":
        print(json.dumps({"conforms": report.conforms,
                          "findings": [f.__dict__ for f in report.findings]}, indent=2, ensure_ascii=False))
    else:
        print(report.text())
    return EXIT_OK if report.conforms else EXIT_NONCONFORMANT


def _token(path: str | None) -> str | None:
    """The write token from --token-file or GRAPH_SERVICE_TOKEN; None leaves the endpoint read-only.

    :raises UsageError: if the file cannot be read or is empty.
    """
    if path is None:
        return os.environ.get("GRAPH_SERVICE_TOKEN") or None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as err:
        raise UsageError(f"--token-file {path}: {err.strerror}") from err
    if len(token) < 16:
        raise UsageError(f"--token-file {path}: the token must be at least 16 characters")
    return token


def _web_stack() -> tuple[ModuleType, Callable[[Settings, Store | RemoteStore], Any]]:
    """uvicorn and the app factory: ~0.55 s of imports (rdflib, pyshacl and networkx wait for the requests
    that need them; see lazy_modules)."""
    import uvicorn

    from .api import create_app

    return uvicorn, create_app


def cmd_serve(args: argparse.Namespace) -> int:
    """Load the graph and serve the HTTP API with uvicorn.

    The web stack is imported on a second thread while the graph loads: pyoxigraph's bulk
    load releases the GIL, so the imports no longer add to the load (at S = 100 the load is done
    first, and the imports are what start-up waits for). The server's
    threads share two malloc arenas, but only from after the load: the bulk loader's threads
    fighting over two arenas made a 5 M-triple load into a store directory ~15 % slower
    (bulk load alone 35.7 against 31.1 s, `serve` until it answers 41.9 against 37.4 s, means
    of 5-7 runs) for no smaller peak. With --one-cpu its threads then stay on one CPU (affinity.py).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        web = pool.submit(_web_stack)
        warnings: tuple[str, ...] = ()
        if args.data and not args.no_validate:
            from .validation import validate_files

            report = validate_files(args.data, mode="core")
            warnings = tuple(f"{f.severity}: {f.focus_node} {f.path or ''}: {f.message}" for f in report.findings)
            if warnings:
                print(f"graph-service: {len(warnings)} SHACL finding(s) in --data (see /health):", file=sys.stderr)
                print(report.text(), file=sys.stderr)
        settings = Settings(data=tuple(Path(p) for p in args.data), store_dir=Path(args.store) if args.store else None,
                            sparql_token=_token(args.token_file), query_timeout=args.query_timeout,
                            row_cap=args.row_cap, host=args.host, port=args.port, warnings=warnings,
                            endpoint=args.endpoint, update_endpoint=args.update_endpoint,
                            endpoint_user=args.endpoint_user, endpoint_password=_endpoint_password(args),
                            warm_up=True)
        store = _open(args)
        limit_malloc_arenas()  # before the server's threads start
        uvicorn, create_app = web.result()
    if args.one_cpu:  # after the load, whose threads use every CPU; before the server's threads start
        cpu = keep_threads_on_one_cpu()
        print("INFO:     --one-cpu: " + (f"the server's threads stay on CPU {cpu}" if cpu is not None else
                                         "this machine cannot keep threads on one CPU; they run anywhere"),
              file=sys.stderr)
    app = create_app(settings, store)
    from . import logs  # cheap: uvicorn is imported by now

    logs.configure()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", log_config=logs.uvicorn_config())
    return EXIT_OK


def _service(args: argparse.Namespace) -> Service:
    """A service over the graph the command asked for."""
    from .service import Service

    return Service(_open(args), time_limit=getattr(args, "time_limit", Settings.plan_time_limit))


def _print_json(answer: BaseModel) -> None:
    """Print an answer exactly as the HTTP API serialises it."""
    print(json.dumps(answer.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False))


def cmd_gap(args: argparse.Namespace) -> int:
    """Print the gap answer for --holds and --target."""
    holds = [expand(h) for h in args.holds]
    _print_json(_service(args).gap(holds, expand(args.target), args.lang))
    return EXIT_OK


def cmd_ladder(args: argparse.Namespace) -> int:
    """Print the ladder from --from to --to."""
    holds = [expand(h) for h in args.holds]
    _print_json(_service(args).ladder(expand(args.source), expand(args.to), holds, args.lang))
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print the coverage of demand by credentials."""
    _print_json(_service(args).coverage(args.lang))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import catalogue spreadsheets into their named graph (exit 1 when the data has errors)."""
    from .importers import check_graph, console as import_console

    try:
        graph = check_graph(args.graph) if args.graph is not None else None
    except ValueError as err:
        raise UsageError(f"--graph: {err}") from err
    return import_console.run(args.files, args.store, graph, args.dry_run)


def cmd_dump(args: argparse.Namespace) -> int:
    """Write a store directory's quads to --output or standard output."""
    from . import backup

    data = backup.dump(args.store, args.output)
    if data is not None:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Fill a store directory from a dump file."""
    from . import backup

    quads = backup.restore(args.store, args.file, replace=args.replace)
    print(f"restored {args.file} into {args.store}: it now holds {quads} quads")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Print (or write) one export of the graph."""
    text = export(_open(args), args.format, expand(args.credential) if args.credential else None)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


COMMANDS = {"serve": cmd_serve, "validate": cmd_validate, "query": cmd_query, "gap": cmd_gap,
            "ladder": cmd_ladder, "coverage": cmd_coverage, "load": cmd_load, "import": cmd_import,
            "dump": cmd_dump, "restore": cmd_restore, "export": cmd_export}


def _bad_input() -> tuple[type[Exception], ...]:
    """The errors that mean bad input (exit 2); evaluated only once a command has raised, so it
    imports nothing that command did not."""
    from .backup import RestoreRefused
    from .planner import PlanningInputError
    from .remote import EndpointError

    return LoadError, QueryError, UsageError, ExportError, PlanningInputError, EndpointError, RestoreRefused


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``graph-service`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except _bad_input() as err:
        print(f"graph-service {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SyntaxError as err:
        print(f"graph-service {args.command}: the SPARQL query does not parse: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
