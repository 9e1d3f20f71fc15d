"""Run public SPARQL queries in killable worker processes, so a runaway query can be stopped.

pyoxigraph cannot cancel a running query, so each query runs in a worker process holding its
own view of the graph (a checkpoint of a store directory, read in place, or a copy of an
in-memory store); a query that outlives the time limit gets its worker killed and replaced.
Writes happen in the main process; `invalidate()` makes workers reload in the background.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import affinity
from .query_worker import Job
from .sparql_protocol import ProtocolError, Rendered
from .store import Store, remove_left_by_dead

_WORKER_PREFIX = "sparql-worker-"  # then the server's pid: a worker's scratch folder
_SEED_PREFIX = "sparql-seed-"  # then the server's pid: a seed's folder (in-memory stores)
_CLOSED = "the SPARQL query pool was closed while a worker was being prepared"
_LOAD_TIMEOUT = 600  # seconds a worker may take to load the graph (S = 10 000 takes tens)
_log = logging.getLogger(__name__)
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped."""


@dataclass(eq=False)
class _Worker:
    """A worker process, the socket to it, and the graph generation it holds."""

    process: subprocess.Popen
    conn: Connection
    generation: int
    scratch: Path  # the worker's own store directory, removed with it
    loading: bool = True  # until it says it is ready

    def stop(self) -> None:
        """Kill the process now (it may be in the middle of a query) and remove its store."""
        self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _launch(scratch: Path, seed: Path | None = None) -> tuple[subprocess.Popen, Connection]:
    """Start ``python -m graph_service.query_worker`` on `scratch`, joined to us by a socket pair.

    `seed`: where the worker leaves a checkpoint of its loaded store for the next ones.

    A module entry point, not a multiprocessing spawn: spawn imports the server's `__main__`
    (the command line, FastAPI, rdflib, the planner: ~27 MB) again in every worker.
    """
    ours, theirs = socket.socketpair()
    path = os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
    with theirs:
        process = subprocess.Popen([sys.executable, "-m", "graph_service.query_worker", str(theirs.fileno()),
                                    str(scratch), *([str(seed)] if seed else [])], pass_fds=(theirs.fileno(),),
                                   stdin=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONPATH": path})
    affinity.spread(process.pid)
    return process, Connection(ours.detach())


def _one_line(query: str, most: int = 300) -> str:
    """A query's text for a log line: whitespace runs as one space, cut at `most` characters."""
    text = " ".join(query.split())
    return text if len(text) <= most else text[:most] + "…"


def _stop_all(workers: set[_Worker]) -> None:
    """Kill every worker still running (at close, or when the pool is collected or Python exits)."""
    for worker in list(workers):
        worker.stop()
    workers.clear()


def _remove_folders(folders: dict[Path, Any]) -> None:
    """Remove and forget each folder a map is keyed by (at close, when the pool is collected, at exit)."""
    for folder in list(folders):
        shutil.rmtree(folder, ignore_errors=True)
        folders.pop(folder, None)


def _copy_checkpoint(source: Path, target: Path) -> None:
    """Copy a RocksDB checkpoint: its table files hard-linked (RocksDB never rewrites one), the rest copied."""
    shutil.copytree(source, target, copy_function=_link_table_or_copy)


def _link_table_or_copy(source: str, target: str) -> None:
    """One file of a checkpoint's copy: a hard link for a table file, a copy for the files RocksDB rewrites."""
    if source.endswith(".sst"):
        os.link(source, target)
    else:
        shutil.copy2(source, target)


class QueryPool:
    """A fixed number of query workers over one store, with a per-query time limit.

    Workers load the graph in the background (at `warm()`, after a write, after a kill), and
    loading never counts against a query's time limit: at scale it takes seconds.
    """

    def __init__(self, store: Store, size: int = 2, timeout: float = 5.0, row_cap: int = 10_000,
                 slow: float = 1.0):
        self.store, self.size, self.timeout, self.row_cap = store, max(1, size), timeout, row_cap
        self.slow = slow  # seconds from which a query is logged, with where its time went
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0
        self._loading = 0
        self._generation = 0
        self._closed = False
        self._workers: set[_Worker] = set()  # every started worker, idle or busy
        # In-memory stores: per graph generation, a folder with a checkpoint (store/) of the first
        # worker's loaded store. Later workers start from a copy of it: at 0.4 M quads, loading the
        # dump takes a worker ~5 s, the copy milliseconds.
        # Each seed folder with the generation it holds, or None while its worker writes it (one at a time).
        self._seeds: dict[Path, int | None] = {}
        # The scratch folder of each worker not started yet (its dump or checkpoint is being written),
        # as an ordered set: close() or the exit removes it, the thread writing it may be at it still.
        self._preparing: dict[Path, None] = {}
        weakref.finalize(self, _stop_all, self._workers)
        weakref.finalize(self, _remove_folders, self._seeds)
        weakref.finalize(self, _remove_folders, self._preparing)
        self._remove_left_by_dead_servers()

    def _remove_left_by_dead_servers(self) -> None:
        """Remove the worker and seed folders of servers that were killed (a stopped pool removes its own)."""
        remove_left_by_dead(Path(tempfile.gettempdir()), _WORKER_PREFIX)
        remove_left_by_dead(Path(tempfile.gettempdir()), _SEED_PREFIX)
        if self.store.directory is not None:
            remove_left_by_dead(self.store.directory.parent, "." + _WORKER_PREFIX)

    def _spawn(self) -> _Worker:
        """Start a worker on the current graph and wait until it has loaded it."""
        with self._lock:
            generation = self._generation
            scratch = self._new_scratch()
        seed: Path | None = None  # where this worker leaves the generation's seed, if it is the one to
        try:
            seed = self._prepare(scratch, generation)
            process, conn = _launch(scratch, seed / "store" if seed else None)
            worker = _Worker(process, conn, generation, scratch)
            self._workers.add(worker)  # from here the worker's stop removes its folder
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            if seed is not None:
                self._keep_seed(generation, seed, ready=False)
            raise
        finally:
            with self._lock:
                self._preparing.pop(scratch, None)
        try:
            ready = conn.poll(_LOAD_TIMEOUT) and conn.recv()[0] == "ready"
        except (EOFError, OSError):  # it died while loading (or the server is stopping)
            ready = False
        worker.loading = False
        if seed is not None:
            self._keep_seed(generation, seed, ready)
        if not ready:
            self._workers.discard(worker)
            worker.stop()
            raise RuntimeError(f"a SPARQL worker process did not load the graph within {_LOAD_TIMEOUT} s")
        return worker

    def _prepare(self, scratch: Path, generation: int) -> Path | None:
        """Fill a new worker's folder with the graph; the seed folder the worker is to leave, if any.

        :raises RuntimeError: if the pool was closed meanwhile (close() removes the folder under us).
        """
        seed = None
        try:
            if self.store.directory is not None:
                self.store.checkpoint(scratch / "store")
            elif not self._start_from_seed(generation, scratch):
                self.store.dump(scratch / "graph.nq")
                seed = self._claim_seed(generation)
        except Exception as err:
            if self._closed:
                raise RuntimeError(_CLOSED) from err
            raise
        if self._closed:
            raise RuntimeError(_CLOSED)
        return seed

    def _new_scratch(self) -> Path:
        """A new worker's scratch folder, named for this server's pid (call with the lock held).

        Beside a store directory, so the checkpoint's files are hard links, not copies; in the
        temporary folder for an in-memory store.
        """
        if self.store.directory is not None:
            scratch = tempfile.mkdtemp(prefix=f".{_WORKER_PREFIX}{os.getpid()}-", dir=self.store.directory.parent)
        else:
            scratch = tempfile.mkdtemp(prefix=f"{_WORKER_PREFIX}{os.getpid()}-")
        self._preparing[Path(scratch)] = None
        return Path(scratch)

    def _start_from_seed(self, generation: int, scratch: Path) -> bool:
        """Fill `scratch` from this graph generation's seed, if there is one; whether it was."""
        with self._lock:
            seed = next((folder for folder, held in self._seeds.items() if held == generation), None)
        if seed is None:
            return False
        try:
            _copy_checkpoint(seed / "store", scratch / "store")
        except OSError:  # a write made the seed stale and removed it meanwhile
            shutil.rmtree(scratch / "store", ignore_errors=True)
            return False
        return True

    def _claim_seed(self, generation: int) -> Path | None:
        """A folder for the worker about to load a dump to leave its seed in; None if another worker is at it."""
        with self._lock:
            if self._closed or None in self._seeds.values() or generation in self._seeds.values():
                return None
            folder = Path(tempfile.mkdtemp(prefix=f"{_SEED_PREFIX}{os.getpid()}-"))
            self._seeds[folder] = None
        return folder

    def _keep_seed(self, generation: int, seed: Path, ready: bool) -> None:
        """Keep the seed a worker left, if it loaded and the graph has not changed since; else remove it."""
        with self._lock:
            keep = ready and (seed / "store").is_dir() and generation == self._generation and not self._closed
            if keep:
                self._seeds[seed] = generation
            else:
                self._seeds.pop(seed, None)
        if not keep:
            shutil.rmtree(seed, ignore_errors=True)

    def _reserve(self) -> bool:
        """Take a free worker slot, if there is one."""
        with self._lock:
            free = self._live < self.size and not self._closed
            self._live += free
        return free

    def _start(self) -> _Worker:
        """Start a worker in a reserved slot (the slot is freed again if it fails)."""
        with self._lock:
            self._loading += 1
        try:
            return self._spawn()
        except BaseException:
            with self._lock:
                self._live -= 1
            raise
        finally:
            with self._lock:
                self._loading -= 1

    def _current(self, worker: _Worker) -> bool:
        """Whether an idle worker holds the current graph and is alive."""
        return worker.generation == self._generation and worker.process.poll() is None

    def _checkout(self, deadline: float) -> _Worker:
        """An idle worker on the current graph: reused, replaced if stale, or started.

        Waiting counts against `deadline` only while every worker is busy with a query, not
        while one is loading the graph.
        """
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                if self._reserve():
                    return self._start()
                if time.monotonic() >= deadline and not self._loading:
                    raise QueryTimeout(f"every query worker stayed busy for {self.timeout:g} s; try again")
                try:
                    worker = self._idle.get(timeout=0.1)
                except queue.Empty:
                    continue
            if self._current(worker):
                return worker
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Stop a worker and free its slot."""
        self._workers.discard(worker)
        worker.stop()
        with self._lock:
            self._live -= 1

    def _fill(self) -> None:
        """Replace stale idle workers and start workers up to the pool size."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            if self._current(worker):
                self._release(worker)
            else:
                self._retire(worker)
        while self._reserve():
            try:
                worker = self._start()
            except RuntimeError:
                return  # the next query starts one itself, and reports the failure
            self._release(worker)

    def _release(self, worker: _Worker) -> None:
        """Make a worker idle again, or stop it if the pool was closed meanwhile (close() has drained the idle)."""
        with self._lock:
            closed = self._closed
            if not closed:
                self._idle.put(worker)
        if closed:
            self._retire(worker)

    def warm(self) -> None:
        """Load the graph into every worker now, in the background."""
        threading.Thread(target=self._fill, daemon=True, name="sparql-warm").start()

    def run(self, job: Job) -> Rendered:
        """Answer one query within the time limit (waiting for a busy worker counts, loading does not).

        A query that takes `slow` seconds or more, or is stopped, is logged (warning) with the
        time it waited for a worker and the time it spent in one.

        :raises QueryTimeout: if it took longer (the worker is killed and replaced).
        :raises ProtocolError: for a query that does not parse (400) or no acceptable format (406).
        """
        began = time.monotonic()
        worker = self._checkout(began + self.timeout)
        checked_out = time.monotonic()
        deadline = checked_out + self.timeout
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.01)):
                self._retire(worker)
                self.warm()
                _log.warning("SPARQL query stopped at the %g s limit (worker %d killed): %s", self.timeout,
                             worker.process.pid, _one_line(job.query))
                raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as err:
            self._retire(worker)
            self.warm()
            raise ProtocolError(500, "the query engine stopped on this query (its worker process died and was "
                                     f"replaced{': ' + str(err) if str(err) else ''}); simplify the query") from err
        self._release(worker)
        took = time.monotonic() - began
        if took >= self.slow:
            _log.warning("slow SPARQL query: %.2f s, of which %.2f s waiting for a worker (busy or loading) and "
                         "%.2f s in worker %d: %s", took, checked_out - began, took - (checked_out - began),
                         worker.process.pid, _one_line(job.query))
        if status == "error":
            raise ProtocolError(*payload)
        return payload

    def invalidate(self) -> None:
        """The graph changed: workers reload it, in the background."""
        with self._lock:
            self._generation += 1
            stale = {folder: held for folder, held in self._seeds.items() if held is not None}
            for folder in stale:
                del self._seeds[folder]
        _remove_folders(stale)  # one being written stays: its worker's generation is not kept
        self.warm()

    def close(self) -> None:
        """Stop idle and loading workers, remove the seeds and the folders being prepared, start no more workers.

        Busy workers stop when their query ends (uvicorn lets requests finish before the app
        closes). This is the server's only clean-up when it is stopped: uvicorn ends on SIGTERM
        by raising the signal again, so no exit hook (the finalizers above) runs then.
        """
        with self._lock:  # the folders are taken out here and removed outside, as in invalidate()
            self._closed = True
            folders: dict[Path, Any] = {**self._seeds, **self._preparing}
            self._seeds.clear()  # a seed being written too: its worker then keeps none
            self._preparing.clear()  # the threads writing into them give up (see _prepare)
            loading = [worker for worker in list(self._workers) if worker.loading]
        _remove_folders(folders)
        for worker in loading:  # the thread waiting for it sees it die and gives up
            worker.stop()
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            try:
                worker.conn.send(None)
            except OSError:
                pass
            self._retire(worker)
