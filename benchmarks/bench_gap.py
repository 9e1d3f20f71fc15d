"""Benchmark the gap question: over HTTP on the pilot graph, and the planner alone at 40 candidates.

Goals (issue 4): median gap request over HTTP on the pilot graph < 20 ms; a planner instance
with 40 candidate credentials proven optimal in < 100 ms. Run with ``make bench``; the numbers
go to their block of benchmarks/RESULTS.md (benchmarks/results.py) with the machine and date.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

import httpx
from results import replace_block

from graph_service.model import Catalogue, Credential, Role
from graph_service.planner import gap

ROLE = "https://w3id.org/mikromerit/id/role/"
CREDENTIAL = "https://w3id.org/mikromerit/id/credential/"
QUESTIONS = {
    "new drifttekniker → vakthavande": {"holds": [ROLE + "drifttekniker"], "target": ROLE + "vakthavande-drifttekniker"},
    "nothing → vakthavande": {"holds": [], "target": ROLE + "vakthavande-drifttekniker"},
    "vårdbiträde → undersköterska": {"holds": [ROLE + "vardbitrade"], "target": ROLE + "underskoterska"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_http(requests: int) -> list[str]:
    """Serve the pilot graph with the real command and time sequential POST /api/gap requests."""
    port = _free_port()
    exe = Path(sys.executable).with_name("graph-service")
    server = subprocess.Popen([str(exe), "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    lines = ["| question | requests | p50 ms | p90 ms | p99 ms | goal p50 < 20 ms |", "|---|---|---|---|---|---|"]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            for name, body in QUESTIONS.items():
                for _ in range(20):  # warm the caches and the connection
                    client.post("/api/gap", json=body).raise_for_status()
                timings = []
                for _ in range(requests):
                    start = time.perf_counter()
                    client.post("/api/gap", json=body).raise_for_status()
                    timings.append((time.perf_counter() - start) * 1000)
                p50 = statistics.median(timings)
                lines.append(f"| {name} | {requests} | {p50:.1f} | {_percentile(timings, 0.9):.1f} | "
                             f"{_percentile(timings, 0.99):.1f} | {'met' if p50 < 20 else 'MISSED'} |")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return lines


def synthetic(seed: int, candidates: int = 40, competences: int = 30) -> Catalogue:
    """A random instance where every credential is a candidate: competences taught 1–4 each, prerequisite chains."""
    rng = random.Random(seed)
    credentials = {}
    for i in range(candidates):
        iri = f"c{i:03}"
        teaches = frozenset(f"k{rng.randrange(competences)}" for _ in range(rng.randint(1, 4)))
        prereqs = frozenset(f"c{j:03}" for j in rng.sample(range(i), min(i, rng.randint(0, 2))))
        credentials[iri] = Credential(iri, float(rng.choice([4, 8, 12, 16, 24, 40])), teaches, prereqs)
    needed = frozenset(f"k{i}" for i in range(competences))
    return Catalogue(credentials, {"R": Role("R", needed)}, needed)


def bench_planner(instances: int) -> list[str]:
    """Time the planner on seeded 40-candidate instances; report median and worst, and how many were proven."""
    timings, proven = [], 0
    for seed in range(instances):
        catalogue = synthetic(seed)
        start = time.perf_counter()
        result = gap(catalogue, [], "R", time_limit=10)
        timings.append((time.perf_counter() - start) * 1000)
        proven += result.optimal
    return ["| instances | candidates | proven optimal | median ms | worst ms | goal: worst < 100 ms |",
            "|---|---|---|---|---|---|",
            f"| {instances} | 40 | {proven}/{instances} | {statistics.median(timings):.1f} | {max(timings):.1f} | "
            f"{'met' if max(timings) < 100 else 'MISSED'} |"]


def machine() -> str:
    """CPU, cores, memory, Python and library versions."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    libs = ", ".join(f"{name} {version(name)}" for name in ("pyoxigraph", "scipy", "networkx", "fastapi", "uvicorn"))
    return (f"{cpu}, {os.cpu_count()} cores, {int(memory) / 2**20:.0f} GiB; Python {platform.python_version()}; "
            f"{libs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    lines = ["## Gap over HTTP on the pilot graph", "",
             f"Measured {date.today().isoformat()} on {machine()}.", "",
             "`graph-service serve` (uvicorn, one worker), one client with keep-alive, sequential requests "
             "after 20 warm-up requests.", "", *bench_http(args.requests), "",
             "## Planner alone, 40 candidate credentials", "",
             "Seeded random instances (30 required competences, 1–4 taught per credential, up to two "
             "prerequisites each); time includes the whole solve (branch and bound per independent part; HiGHS for parts past its node budget).", "",
             *bench_planner(args.instances)]
    replace_block(args.out, "pilot", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
