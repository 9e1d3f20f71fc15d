"""serve's start-up warm-up: the service's records before the query workers, on every CPU it may use.

Under `serve --one-cpu` the server's threads stay on one CPU. The CPU checks run in a child
process: pinning changes the calling thread's CPUs, and this test process's threads must keep theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from graph_service.api.sparql import _warm_service

# The server's main thread is pinned, then starts the warm-up as `sparql.warm` does; the warm-up,
# like Service.warm, reads on threads of its own. Each thread reports the CPUs it may use.
_CHILD = """
import json, os, threading
from concurrent.futures import ThreadPoolExecutor
from graph_service import affinity
from graph_service.api.sparql import _warm_service

seen = {}

def where():
    return {"cpus": sorted(os.sched_getaffinity(0)), "policy": os.sched_getscheduler(0)}

class Service:
    def warm(self):
        seen["warm-up"] = where()
        with ThreadPoolExecutor(max_workers=2) as pool:
            seen["its reads"] = pool.submit(where).result()

cpu = affinity.keep_threads_on_one_cpu()
thread = threading.Thread(target=_warm_service, args=(Service(),))
thread.start()
thread.join()
seen["server"] = where()
other = threading.Thread(target=lambda: seen.__setitem__("a thread the server starts", where()))
other.start()
other.join()
print(json.dumps({"cpu": cpu, **seen}))
"""


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="CPU affinity needs Linux and at least two CPUs")
def test_the_warm_up_and_its_reads_use_every_cpu_while_the_server_stays_on_one() -> None:
    """The server's threads share one CPU, taking turns (SCHED_BATCH); the warm-up gets every CPU and policy back."""
    allowed = sorted(os.sched_getaffinity(0))
    run = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    taking_turns = {"cpus": [seen["cpu"]], "policy": os.SCHED_BATCH}
    assert seen["server"] == seen["a thread the server starts"] == taking_turns
    free = {"cpus": allowed, "policy": os.sched_getscheduler(0)}
    assert seen["warm-up"] == seen["its reads"] == free


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="CPU affinity needs Linux and at least two CPUs")
def test_a_server_started_under_another_scheduling_policy_keeps_it() -> None:
    """Only the normal policy becomes SCHED_BATCH: a server started under SCHED_IDLE (chrt -i) stays so."""
    child = "import os\nos.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n" + _CHILD
    run = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["server"] == seen["a thread the server starts"] == {"cpus": [seen["cpu"]], "policy": os.SCHED_IDLE}
    assert seen["warm-up"]["policy"] == seen["its reads"]["policy"] == os.SCHED_IDLE


def test_without_one_cpu_the_warm_up_keeps_the_cpus_it_has() -> None:
    """No --one-cpu, nothing pinned: use_every_cpu leaves the thread as it is."""
    child = _CHILD.replace("cpu = affinity.keep_threads_on_one_cpu()", "cpu = None")
    run = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    mine = {"cpus": sorted(os.sched_getaffinity(0)), "policy": os.sched_getscheduler(0)}
    assert seen["server"] == seen["warm-up"] == seen["its reads"] == seen["a thread the server starts"] == mine


class _Recorder:
    """A service or pool that notes, in a shared list, when its warm-up ran."""

    def __init__(self, name: str, log: list[str], fails: bool = False):
        self.name, self.log, self.fails = name, log, fails

    def warm(self) -> None:
        self.log.append(self.name)
        if self.fails:
            raise RuntimeError("the store went away")


def test_the_services_records_are_read_before_the_query_workers_load() -> None:
    """A gap waits for the records; a /sparql query that comes first starts a worker itself."""
    log: list[str] = []
    _warm_service(_Recorder("service", log), _Recorder("pool", log))  # type: ignore[arg-type]
    assert log == ["service", "pool"]


def test_the_query_workers_load_even_when_the_services_warm_up_fails() -> None:
    log: list[str] = []
    with pytest.raises(RuntimeError):
        _warm_service(_Recorder("service", log, fails=True), _Recorder("pool", log))  # type: ignore[arg-type]
    assert log == ["service", "pool"]
