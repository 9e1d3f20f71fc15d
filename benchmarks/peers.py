"""Start, ask and stop each system the benchmark compares, on the same files.

- `GraphService`: the real ``graph-service serve --data FILE [--store DIR]`` (it always loads ontology/
  too), asked over its API or over /sparql;
- `Floor`: raw pyoxigraph in one process (benchmarks/floor.py), bulk load, no HTTP;
- `RdflibEndpoint`: rdflib-endpoint (PyPI) over an rdflib Dataset (benchmarks/serve_rdflib.py);
- `Virtuoso`: a throwaway Virtuoso Open Source 7 (Debian virtuoso-opensource-7-bin) on free ports,
  bulk-loaded with ld_add/rdf_loader_run through isql.

Every system is a child process: `start` returns the seconds from launch until it answers (the
load time) while `PeakRss` samples its memory, with its children, until `stop`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from load import Driver, PeakRss, Stats, Wrk
from questions import Question

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
SPARQL_JSON = "application/sparql-results+json"


class Unavailable(RuntimeError):
    """A system cannot run here (its program is missing); the message says how to install it."""


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _receive(client: httpx.Client, method: str, url: str, decode: bool, **kwargs) -> bytes:
    """Send one request and read its whole body: decoded to check an answer, or as sent under load.

    Under load a gzipped body stays packed, as wrk and ab leave it: decoding is the client's
    work, and on this 2-core machine the client threads would take it from the server's cores
    (inflating coverage's 3.5 MB costs the client 8 ms, more than the server spends sending it).
    """
    with client.stream(method, url, **kwargs) as response:
        response.raise_for_status()
        return response.read() if decode else b"".join(response.iter_raw())


def _sparql(client: httpx.Client, url: str, texts: tuple[str, ...], decode: bool = True) -> list[bytes]:
    """POST each text to a SPARQL endpoint (form-encoded) and return the JSON result bodies."""
    return [_receive(client, "POST", url, decode, data={"query": text}, headers={"Accept": SPARQL_JSON})
            for text in texts]


class System:
    """A system under test: a child process answering questions."""

    name = "system"
    store = "—"
    load_only = False  # started, measured for load time and memory, and stopped without questions

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.memory: PeakRss | None = None
        self.load_peak = 0
        self.launched = 0.0
        self.log: Path | None = None

    def _launch(self, args: list[str], workdir: Path, pipes: bool = False) -> float:
        """Start the process (its output to a log in workdir, or piped); return the launch time (perf_counter)."""
        self.log = workdir / f"{self.name.split()[0]}.log"
        log = self.log.open("wb")
        began = self.launched = time.perf_counter()
        if pipes:
            self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                            cwd=workdir, text=True)
        else:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
        self.memory = PeakRss(self.process.pid)
        return began

    def _ready(self, began: float) -> float:
        """Note the memory peak of the load and return the seconds since launch."""
        elapsed = time.perf_counter() - began
        self.load_peak = self.memory.peak if self.memory else 0
        return elapsed

    def _wait(self, probe, began: float, limit: float = 1800.0) -> float:
        """Poll `probe()` until it is true; raise with the log's tail if the process dies or time runs out.

        Every 10 ms: the floor reports the end of its load at once through a pipe, and a coarser
        poll would add its interval to the others' load times (at 0.1 s, plus ~40 ms for a new
        httpx client per probe, up to 0.14 s: a twelfth of a 1.7 s load).
        """
        while time.perf_counter() - began < limit:
            if self.process.poll() is not None:
                break
            try:
                if probe():
                    return self._ready(began)
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.01)
        tail = self.log.read_text(errors="replace")[-2000:] if self.log and self.log.exists() else ""
        self.stop()
        raise RuntimeError(f"{self.name} did not come up; its log ends:\n{tail}")

    def warnings(self) -> list[str]:
        """Lines its log marks as warnings (graph-service: slow or stopped SPARQL queries); none by default."""
        return []

    def start(self, files: list[Path], data: Path, workdir: Path, questions: dict[str, list[Question]]) -> float:
        """Load the vocabulary `files` and the catalogue `data`; return seconds from launch to ready.

        `questions` are the ones it will be asked (only the in-process floor needs them up front).
        """
        raise NotImplementedError

    def run(self, questions: list[Question], clients: int, seconds: float, most: int, start: int = 0,
            sparql: bool = True) -> Stats:
        """Ask the questions (cycling from `start`) with `clients` concurrent clients."""
        raise NotImplementedError

    def answer(self, question: Question, sparql: bool = True) -> list[dict] | dict:
        """One question's answer: SPARQL JSON results per text, or graph-service's JSON."""
        raise NotImplementedError

    def stop(self) -> int:
        """Stop the process; return its peak resident memory in bytes (with its children)."""
        peak = self.memory.stop() if self.memory else 0
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return peak


def _build(client: httpx.Client, question: Question, sparql: bool, sparql_path: str) -> httpx.Request:
    """The request `HttpSystem.ask` sends for a one-request question."""
    if sparql:
        (text,) = question.sparql
        return client.build_request("POST", sparql_path, data={"query": text}, headers={"Accept": SPARQL_JSON})
    method, path, kwargs = question.http()
    return client.build_request(method, path, **kwargs)


def _raw(request: httpx.Request) -> bytes:
    """A request as HTTP/1.1 bytes on the wire."""
    head = [f"{request.method} {request.url.raw_path.decode('ascii')} HTTP/1.1"]
    head += [f"{name.decode('latin-1')}: {value.decode('latin-1')}" for name, value in request.headers.raw]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.read()


class HttpSystem(System):
    """A system asked over HTTP: `base` is its root URL, `sparql_path` its SPARQL endpoint."""

    sparql_path = "/sparql"

    def __init__(self) -> None:
        super().__init__()
        self.base = ""

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=600,
                            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))

    def ask(self, client: httpx.Client, question: Question, sparql: bool, decode: bool = False) -> bytes:
        """One question as SPARQL (the texts in turn) or over graph-service's API; the body as sent unless `decode`."""
        if sparql:
            return b"".join(_sparql(client, self.sparql_path, question.sparql, decode))
        method, path, kwargs = question.http()
        return _receive(client, method, path, decode, **kwargs)

    def run(self, questions, clients, seconds, most, start=0, sparql=True) -> Stats:
        """wrk sends the questions that are one request each; Python threads ask those of several in turn.

        Only coverage over SPARQL is several requests (three texts), and it takes seconds per
        answer, so the Python client's ~0.7 ms per request is lost in it.
        """
        if not sparql or all(len(q.sparql) == 1 for q in questions):
            return Wrk(self.base, self.raw_requests(questions, sparql)).drive(clients, seconds, start)
        driver = Driver(self._client, lambda c, i: self.ask(c, questions[i % len(questions)], sparql),
                        lambda c: c.close())
        return driver.drive(clients, seconds, most, start)

    def raw_requests(self, questions: list[Question], sparql: bool) -> list[bytes]:
        """The requests `ask` sends for one-request questions, as bytes on the wire (httpx builds them).

        One client builds them all: creating an httpx client takes ~40 ms (its SSL context).
        """
        with self._client() as client:
            return [_raw(_build(client, question, sparql, self.sparql_path)) for question in questions]

    def answer(self, question, sparql=True):
        with self._client() as client:
            if sparql:
                return [json.loads(body) for body in _sparql(client, self.sparql_path, question.sparql)]
            return json.loads(self.ask(client, question, False, decode=True))

    def _until_answering(self, began: float, method: str, path: str, **kwargs) -> float:
        """Wait until the server answers a request with 200 (one client for every probe); return seconds since launch."""
        with self._client() as client:
            return self._wait(lambda: client.request(method, path, **kwargs).status_code == 200, began)

    def _until_answering_sparql(self, began: float) -> float:
        """Wait until the SPARQL endpoint answers ASK {}."""
        return self._until_answering(began, "POST", self.sparql_path, data={"query": "ASK { }"},
                                     headers={"Accept": SPARQL_JSON})


class GraphService(HttpSystem):
    """``graph-service serve`` on the catalogue: in memory, or in a --store directory."""

    def __init__(self, directory: bool):
        super().__init__()
        self.directory = directory
        self.name = "graph-service" + ("" if directory else " (in memory)")
        self.store = "directory" if directory else "memory"

    def start(self, files, data, workdir, questions):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        exe = str(Path(PYTHON).with_name("graph-service"))
        args = [exe, "serve", "--data", str(data), "--no-validate", "--one-cpu", "--port", str(port)]
        if self.directory:
            args += ["--store", str(workdir / "graph-service-store")]
        began = self._launch(args, workdir)
        return self._until_answering(began, "GET", "/health")

    def warnings(self) -> list[str]:
        """The WARNING lines of its log: slow or stopped SPARQL queries, with where their time went."""
        if self.log is None or not self.log.exists():
            return []
        return [line.removeprefix("WARNING:").strip() for line in self.log.read_text(errors="replace").splitlines()
                if line.startswith("WARNING:")]


class RdflibEndpoint(HttpSystem):
    """rdflib-endpoint on an in-memory rdflib Dataset (rdflib has no faster store to load into)."""

    name, store = "rdflib-endpoint", "memory"

    def start(self, files, data, workdir, questions):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        began = self._launch([PYTHON, str(HERE / "serve_rdflib.py"), str(port), *map(str, files), str(data)], workdir)
        return self._until_answering_sparql(began)


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
; Virtuoso's documented setting for about 2 GB of buffers (8 KiB pages, used as data grows)
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
DirsAllowed = {dirs}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 10000000
MaxSortedTopRows = 10000000
MaxQueryExecutionTime = 600
MaxQueryCostEstimationTime = 0
"""


class Virtuoso(HttpSystem):
    """A throwaway Virtuoso: one file per graph, bulk-loaded, queried at /sparql (default graph: all graphs)."""

    name, store = "Virtuoso", "directory"

    def start(self, files, data, workdir, questions):
        server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
        if server is None or isql is None:
            raise Unavailable("virtuoso-t/isql-vt are not installed: apt-get install virtuoso-opensource-7-bin")
        home = workdir / "virtuoso"
        home.mkdir()
        http_port, sql_port = free_port(), free_port()
        dirs = sorted({str(home), *(str(p.resolve().parent) for p in [*files, data])})
        (home / "virtuoso.ini").write_text(_VIRTUOSO_INI.format(dir=home, sql_port=sql_port, http_port=http_port,
                                                               dirs=", ".join(dirs)), encoding="utf-8")
        self.base = f"http://127.0.0.1:{http_port}"
        began = self._launch([server, "+foreground", "+configfile", str(home / "virtuoso.ini")], home)
        self._until_answering_sparql(began)
        script = "".join(f"ld_add('{p.resolve()}', '{p.resolve().as_uri()}');\n" for p in [*files, data])
        script += "rdf_loader_run();\ncheckpoint;\nSELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;\n"
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba"], input=script, capture_output=True,
                              text=True, timeout=3600)
        if done.returncode != 0 or "Error" in done.stdout or "0 Rows" not in done.stdout.split("ll_error")[-1]:
            self.stop()
            raise RuntimeError(f"Virtuoso's bulk load failed:\n{done.stdout[-2000:]}\n{done.stderr[-1000:]}")
        return self._ready(began)


class Floor(System):
    """Raw pyoxigraph in-process (benchmarks/floor.py): bulk load, then the same SPARQL from threads."""

    def __init__(self, directory: bool, graph_per_file: bool = False):
        super().__init__()
        self.directory = directory
        self.graph_per_file = graph_per_file
        self.load_only = graph_per_file  # a reference for the load: what a named graph per source costs pyoxigraph
        self.name = "pyoxigraph" + ("" if directory else " (in memory)") + (" (graph per file)" * graph_per_file)
        self.store = "directory" if directory else "memory"
        self.in_process_load = 0.0
        self.questions: dict[str, list[Question]] = {}

    def start(self, files, data, workdir, questions):
        where = str(workdir / "floor-store") if self.directory else "memory"
        self.questions = questions
        texts = workdir / "questions.json"
        texts.write_text(json.dumps({k: [list(q.sparql) for q in qs] for k, qs in questions.items()}),
                         encoding="utf-8")
        flags = ["--graph-per-file"] if self.graph_per_file else []
        began = self._launch([PYTHON, str(HERE / "floor.py"), *flags, where, str(texts), *map(str, files), str(data)],
                             workdir, pipes=True)
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"{self.name} failed to load: {self.log.read_text(errors='replace')[-2000:]}")
        self.in_process_load = json.loads(line)["load_seconds"]
        return self._ready(began)

    def _command(self, command: dict) -> object:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} died: {self.log.read_text(errors='replace')[-2000:]}")
        return json.loads(line)

    def run(self, questions, clients, seconds, most, start=0, sparql=True) -> Stats:
        kind = questions[0].kind
        found = self._command({"drive": kind, "clients": clients, "seconds": seconds, "most": most, "start": start})
        return Stats(**found)

    def answer(self, question, sparql=True):
        index = self.questions[question.kind].index(question)
        return self._command({"answer": question.kind, "index": index})

    def stop(self) -> int:
        if self.process is not None and self.process.stdin and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        return super().stop()


def asdict(stats: Stats) -> dict:
    """A Stats as plain data (for the JSON log of a run)."""
    return dataclasses.asdict(stats)
