"""Start and stop external SPARQL servers for tests: Oxigraph server and Virtuoso Open Source.

Each server runs on free loopback ports with its data in a temporary directory, and is
stopped (and its directory left to pytest's tmp_path cleanup) by `Server.stop`. The binaries
come from `make test`: `oxigraph` from the test extra (PyPI), `virtuoso-t` from the Debian
package virtuoso-opensource-7-bin (Makefile system-deps).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from graph_service.loading import fill_graph
from graph_service.remote import RemoteStore

if TYPE_CHECKING:
    from fastapi import FastAPI

SERVERS = ("oxigraph", "virtuoso")
_INSTALL = {
    "oxigraph": "pip install oxigraph (the test extra: pip install -e '.[test]', or make test)",
    "virtuoso": "apt-get install virtuoso-opensource-7-bin (make test's system-deps)",
}

# Virtuoso's stock configuration caps results at 10 000 rows (ResultSetMaxRows) and may
# time queries out; the catalogue-roles query alone returns ~2 400 rows, so lift both.
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxSortedTopRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""


class ServerUnavailable(RuntimeError):
    """The server's binary is not installed; the message says how to install it."""


@dataclass
class Server:
    """A running SPARQL server: where to query and update it, with which credentials."""

    name: str
    query_url: str
    update_url: str
    user: str | None
    password: str | None
    process: subprocess.Popen
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    def store(self) -> RemoteStore:
        """A RemoteStore over this server."""
        return RemoteStore(self.query_url, self.update_url, self.user, self.password)

    def endpoint_args(self) -> list[str]:
        """The graph-service command-line options that reach this server."""
        args = ["--endpoint", self.query_url, "--update-endpoint", self.update_url]
        if self.user is not None:
            args += ["--endpoint-user", self.user, "--endpoint-password", self.password or ""]
        return args

    def stop(self) -> None:
        """Stop the server process (politely, then for good)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_app(app: "FastAPI") -> Iterator[str]:
    """Run an app in a uvicorn server thread on a free loopback port; yield its base URL, then stop it."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def with_pilots(name: str, directory: Path) -> Iterator[Server]:
    """A started server of one kind holding the vocabularies and pilots; stopped on exit.

    :raises ServerUnavailable: if the server's program is not installed.
    """
    running = start(name, directory)
    try:
        fill_graph(running.store())
        yield running
    finally:
        running.stop()


def binary(name: str) -> str:
    """The path of a server's binary.

    :raises ServerUnavailable: if it is not installed, saying how to install it.
    """
    command = {"oxigraph": "oxigraph", "virtuoso": "virtuoso-t"}[name]
    beside = Path(sys.executable).with_name(command)
    found = str(beside) if beside.exists() else shutil.which(command)
    if found is None:
        raise ServerUnavailable(f"{command} is not installed; {_INSTALL[name]}")
    return found


def start(name: str, directory: Path) -> Server:
    """Start the named server with its data in `directory` and wait until it answers SPARQL.

    :raises ServerUnavailable: if its binary is not installed.
    :raises RuntimeError: if it does not come up within a minute (the message holds its log).
    """
    return {"oxigraph": _start_oxigraph, "virtuoso": _start_virtuoso}[name](binary(name), directory)


def _start_oxigraph(command: str, directory: Path) -> Server:
    """Oxigraph server: query at /query, update at /update, no authentication."""
    port = free_port()
    log = directory / "oxigraph.log"
    process = subprocess.Popen([command, "serve", "--location", str(directory / "db"), "--bind", f"127.0.0.1:{port}"],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=directory)
    base = f"http://127.0.0.1:{port}"
    server = Server("oxigraph", f"{base}/query", f"{base}/update", None, None, process, log,
                    {"store": f"{base}/store"})
    return _wait(server)


def _start_virtuoso(command: str, directory: Path) -> Server:
    """Virtuoso: anonymous reads at /sparql, updates at /sparql-auth as dba (HTTP digest auth).

    The anonymous SPARQL user has no SPARQL_UPDATE permission in a fresh database, and
    granting it needs an isql session; /sparql-auth with the dba account needs nothing.
    """
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    log = directory / "virtuoso.out"
    process = subprocess.Popen([command, "+foreground", "+configfile", str(ini)],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=directory)
    base = f"http://127.0.0.1:{http_port}"
    return _wait(Server("virtuoso", f"{base}/sparql", f"{base}/sparql-auth", "dba", "dba", process, log))


def _wait(server: Server, seconds: float = 60.0) -> Server:
    """Poll the server with ASK {} until it answers; stop it and raise with its log if it never does."""
    url = server.query_url + "?" + urllib.parse.urlencode({"query": "ASK { }"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    tail = server.log.read_text(encoding="utf-8", errors="replace")[-2000:] if server.log.exists() else ""
    raise RuntimeError(f"{server.name} did not answer at {server.query_url} within {seconds:.0f} s; its log:\n{tail}")
