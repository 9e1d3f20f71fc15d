"""Compare graph-service with raw pyoxigraph, rdflib-endpoint and Virtuoso on the same data and questions.

For each scale S (roles) it generates the seeded synthetic catalogue (benchmarks/generate.py) into a
temporary directory, starts each system on it (measuring the time from launch until it answers and
the peak memory of its whole process tree), checks that each gives the same answers as raw
pyoxigraph, then asks the four questions (benchmarks/questions.py) with 1 and 8 concurrent clients.
``make bench`` writes benchmarks/RESULTS.md; ``make bench-quick`` runs S = 100 only into build/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

import httpx

import peers
from load import Stats
from questions import KINDS, Question, pick, write_catalogue
from results import replace_block
from report import (CLIENTS, FLOOR, FLOOR_PER_FILE, GS, GS_SPARQL, RDFLIB, VIRTUOSO, ScaleResult, SystemResult, goals,
                    load_table, paired_table, peer_ratios, question_table, scaling_table, warnings_list)
from graph_service.resources import vocabulary_files

HERE = Path(__file__).resolve().parent
GS_MEMORY, FLOOR_MEMORY = GS + " (in memory)", FLOOR + " (in memory)"
LOAD_GOAL = (FLOOR, FLOOR_PER_FILE, FLOOR_MEMORY, GS, GS_MEMORY)  # launched in turn, --launches rounds, for the load goal
MEMORY_SHARE = 0.6  # skip a system whose projected peak memory passes this share of the machine's


@dataclass
class Turns:
    """One system's launches in turn: launch → answering, raw pyoxigraph's own bulk load, and peak memory."""

    times: list[float] = field(default_factory=list)
    bulk: list[float] = field(default_factory=list)
    load_peaks: list[int] = field(default_factory=list)  # during the load
    peaks: list[int] = field(default_factory=list)  # from launch until stopped


def memory_total() -> int:
    return next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal"))


def project(points: list[tuple[int, float]], roles: int) -> float:
    """Extrapolate a cost to `roles`: the line through the last two scales, or proportional from one."""
    if len(points) == 1:
        return points[0][1] * roles / points[0][0]
    (s0, v0), (s1, v1) = points[-2:]
    return v1 + max(0.0, (v1 - v0) / (s1 - s0)) * (roles - s1)


def _summary(kind: str, answer, api: bool) -> object:
    """The part of an answer every system must agree on (an API answer reduced to what SPARQL returns)."""
    if api:
        return {"lookup": lambda a: len(a["statements"]), "ladder": lambda a: sorted(a["roles"]),
                "gap": lambda a: sorted(a["missing"]),
                "coverage": lambda a: (sum(len(r["requirements"]) for r in a["roles"]), len(a["lifeAreas"]),
                                       len(a["carePlanSections"]))}[kind](answer)
    rows = [[{k: v["value"] for k, v in row.items()} for row in result["results"]["bindings"]] for result in answer]
    if kind == "lookup":
        return len(rows[0])
    if kind in ("ladder", "gap"):
        return sorted({row["role" if kind == "ladder" else "competence"] for row in rows[0]})
    return (len({(r["role"], r["competence"]) for r in rows[0]}), len({r["lifeArea"] for r in rows[1]}),
            len({r["section"] for r in rows[2]}))


def _rows(answer) -> list[int]:
    return [len(result["results"]["bindings"]) for result in answer]


class Runner:
    """Runs the systems at each scale and keeps their results."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.results: dict[int, ScaleResult] = {}
        self.reference: dict[str, list] = {}
        self.scale = 0
        self.cursors: dict[tuple[str, str], int] = {}  # (system, kind): where its next cell of that kind starts

    def systems(self, roles: int) -> list[tuple[str, peers.System]]:
        """The systems to run at this scale, raw pyoxigraph first (it gives the reference answers)."""
        chosen = [(FLOOR, peers.Floor(True)), (FLOOR_PER_FILE, peers.Floor(True, graph_per_file=True)),
                  (GS, peers.GraphService(True))]
        if roles in self.args.memory_scales:
            chosen[2:2] = [(FLOOR_MEMORY, peers.Floor(False))]
            chosen.append((GS_MEMORY, peers.GraphService(False)))
        if roles in self.args.rdflib_scales:
            chosen.append((RDFLIB, peers.RdflibEndpoint()))
        if roles in self.args.virtuoso_scales:
            chosen.append((VIRTUOSO, peers.Virtuoso()))
        return chosen

    def _too_big(self, name: str, roles: int) -> str:
        """Why a system is not started at this scale, judged from the smaller scales (load time, peak memory)."""
        before = [r.systems[name] for s, r in sorted(self.results.items()) if s < roles and name in r.systems]
        if not before or before[-1].skipped:
            return "not run: not run at a smaller scale" if before else ""
        ran = [r for r in before if not r.skipped]
        scales = [s for s, r in sorted(self.results.items()) if s < roles and name in r.systems
                  and not r.systems[name].skipped]
        peak = project(list(zip(scales, (r.peak for r in ran))), roles)
        load = project(list(zip(scales, (r.load_seconds for r in ran))), roles)
        if peak > MEMORY_SHARE * memory_total():
            return f"not run: projected peak {peak / 2**30:.0f} GiB"
        if load > self.args.load_budget:
            return f"not run: projected load {load:.0f} s"
        return ""

    def _too_slow(self, name: str, kind: str, roles: int) -> str:
        """Why a question is not asked at this scale: one answer at the smaller scales projects past --answer-cap."""
        points = []
        for scale, result in sorted(self.results.items()):
            cell = result.systems[name].cells.get((kind, 1)) if scale < roles and name in result.systems else None
            if isinstance(cell, str):
                return f"not run (not run at S = {scale})"
            if isinstance(cell, Stats) and cell.requests:
                points.append((scale, cell.seconds / cell.requests))
        projected = project(points, roles) if points else 0.0
        if projected > self.args.answer_cap:
            return f"not run (projected {projected:.0f} s per answer)"
        return ""

    def run_scale(self, roles: int) -> ScaleResult:
        with tempfile.TemporaryDirectory(prefix=f"bench-{roles}-") as tmp:
            workdir = Path(tmp)
            data = workdir / "catalogue.nt"
            with data.open("w", encoding="utf-8") as out:
                triples, shape = write_catalogue(roles, out)
            scale = self.results[roles] = ScaleResult(roles, triples)
            self.scale = roles
            questions = pick(shape, self.args.questions)
            self.reference = {}
            print(f"S = {roles}: {triples} triples, {shape.credentials} credentials", flush=True)
            chosen = self.systems(roles)
            turns = self.launch_in_turn(chosen, data, workdir, questions) if roles <= self.args.repeat_scale else {}
            paired = self._paired(chosen)
            running: dict[str, peers.System] = {}
            try:  # the paired servers last, each kept up once its own cells are done
                for name, system in sorted(chosen, key=lambda item: item[0] in paired):
                    if self.run_system(scale, name, system, questions, data, _folder(workdir, name), turns.get(name),
                                       keep=name in paired):
                        running[name] = system
                self.run_paired(scale, questions, running)
            finally:
                for system in running.values():
                    system.stop()
            order = [name for name, _ in chosen]  # the tables list the systems as chosen, not as run
            scale.systems = dict(sorted(scale.systems.items(), key=lambda item: order.index(item[1].shares or item[0])))
        return scale

    def _paired(self, chosen: list[tuple[str, peers.System]]) -> set[str]:
        """The servers of the alternating gap measurement at this scale: rdflib-endpoint and graph-service."""
        names = {name for name, _ in chosen}
        if self.args.paired_rounds < 1 or RDFLIB not in names:
            return set()
        return names & {RDFLIB, GS, GS_MEMORY}

    def run_paired(self, scale: ScaleResult, questions: dict[str, list[Question]],
                   running: dict[str, peers.System]) -> None:
        """The gap against rdflib-endpoint once more: the servers up together, their cells alternating.

        The 20× goal divides two rates measured minutes apart, on a machine whose speed drifts by
        ±25 % and more between runs; alternating 2-second cells, both sides of each round's ratio
        see the same machine. The goal's verdict is the median of the rounds: 5 by default, as single
        rounds at S = 100 with one client ranged from 15× to 34× and the median of 3 fell on either side
        of 20× from run to run (18.2× and 22.5× in two runs of the same code). The servers are the
        ones just measured, kept up (at S = 1 000, starting them anew took ~70 s, rdflib-endpoint's
        load 31 s of it); each goes on through the questions where its own gap cells stopped.
        """
        if RDFLIB not in running or len(running) < 2:
            return
        started = {name: running[name] for name in (RDFLIB, GS, GS_MEMORY) if name in running}
        try:
            for system in started.values():
                system.memory.settle()
            print(f"  {', '.join(started)} up together: gap cells in alternation", flush=True)
            cursor = {name: self.cursors.get((name, "gap"), 1) for name in started}
            for _ in range(self.args.paired_rounds):
                for clients in CLIENTS:
                    for name, system in started.items():
                        stats = system.run(questions["gap"], clients, self.args.seconds, self.args.most,
                                           start=cursor[name], sparql=name == RDFLIB)
                        cursor[name] = _after(cursor[name], stats)
                        scale.paired.setdefault((name, clients), []).append(stats.throughput)
        except (RuntimeError, httpx.HTTPError) as err:
            print(f"  the alternating gap measurement failed: {err}", flush=True)
            scale.paired.clear()
        for (name, clients), rates in scale.paired.items():
            print(f"    {name} gap, {clients} client{'s' * (clients > 1)}, in alternation: "
                  + ", ".join(f"{r:.1f}/s" for r in rates), flush=True)

    def launch_in_turn(self, chosen: list[tuple[str, peers.System]], data: Path, workdir: Path,
                       questions: dict[str, list[Question]]) -> dict[str, Turns]:
        """The load goal's systems launched in turn, --launches rounds, each launch stopped once it answers.

        One launch of a second or a few swings by a quarter or more with this machine's speed, which
        drifts over minutes; launched in turn, each round's systems see the same machine, and the
        load goal's verdict is the median of the rounds' ratios, as with the alternating gap cells.
        A system that only loads (pyoxigraph with a graph per file) is measured by these alone.
        """
        turns: dict[str, Turns] = {}
        goal = [(name, system) for name, system in chosen if name in LOAD_GOAL and not self._too_big(name, self.scale)]
        for n in range(1, self.args.launches + 1):
            for name, system in goal:
                folder = _folder(workdir, f"turn {n} {name}")
                try:
                    took = system.start(vocabulary_files(), data, folder, questions)
                except (peers.Unavailable, RuntimeError) as err:
                    print(f"  {name}: launch {n} in turn failed: {err}", flush=True)
                    took = None
                peak = system.stop()
                shutil.rmtree(folder, ignore_errors=True)
                if took is None:
                    continue
                found = turns.setdefault(name, Turns())
                found.times.append(took)
                found.load_peaks.append(system.load_peak)
                found.peaks.append(peak)
                if getattr(system, "in_process_load", None) is not None:
                    found.bulk.append(system.in_process_load)
        for name, found in turns.items():
            print(f"  {name}: answering after {', '.join(f'{t:.2f}' for t in found.times)} s, launched in turn",
                  flush=True)
        return {name: found for name, found in turns.items() if len(found.times) == self.args.launches}

    def run_system(self, scale: ScaleResult, name: str, system: peers.System, questions: dict[str, list[Question]],
                   data: Path, workdir: Path, turns: Turns | None = None, keep: bool = False) -> bool:
        """Start the system (its load time: `turns`, its launches in turn, if any), check and measure it, stop it.

        `keep`: once measured, leave it running instead (its peak memory is the one of its own
        cells); True if it was left running, for the caller to stop.
        """
        result = scale.systems[name] = SystemResult(name, system.store)
        result.skipped = self._too_big(name, scale.roles)
        if result.skipped:
            print(f"  {name}: {result.skipped}", flush=True)
            return False
        if turns and system.load_only:  # its launches in turn measured all there is to it
            result.launches, result.load_seconds = turns.times, statistics.median(turns.times)
            result.in_process_load = statistics.median(turns.bulk) if turns.bulk else None
            result.load_peak, result.peak = max(turns.load_peaks), max(turns.peaks)
            print(f"  {name}: peak {result.peak / 2**20:.0f} MB", flush=True)
            return False
        try:
            took = system.start(vocabulary_files(), data, workdir, questions)
            launched = getattr(system, "in_process_load", None)
            result.launches, bulk = (turns.times, turns.bulk) if turns else ([took], [launched] if launched else [])
            result.load_seconds = statistics.median(result.launches)
        except peers.Unavailable as err:
            result.skipped = f"not run: {err}"
            return False
        except RuntimeError as err:  # it did not come up: say so in the table and go on with the others
            result.skipped = "failed to start (see the run's log)"
            print(f"  {name}: {err}", flush=True)
            return False
        kept = False
        try:
            result.in_process_load = statistics.median(bulk) if bulk else None
            result.load_peak = system.load_peak
            if system.load_only:
                return False
            api = isinstance(system, peers.GraphService)
            began = time.perf_counter()
            try:
                system.answer(questions["gap"][0], sparql=not api)
                result.first_gap_ms = (time.perf_counter() - began) * 1000
            except (httpx.HTTPError, RuntimeError) as err:
                print(f"  {name}: the first gap failed: {err}", flush=True)
            system.memory.settle()
            result.settled_seconds = time.perf_counter() - system.launched
            launches = f" (median of the launches in turn; this one {took:.2f} s)" if turns else ""
            print(f"  {name}: answering after {result.load_seconds:.1f} s{launches}, first gap {result.first_gap_ms:.0f} ms, "
                  f"idle after {result.settled_seconds:.1f} s", flush=True)
            self.measure(result, system, questions, api)
            if api and system.directory:
                extra = scale.systems[GS_SPARQL] = SystemResult(GS_SPARQL, system.store, shares=name)
                self.measure(extra, system, {k: questions[k] for k in ("lookup", "ladder", "gap")}, False)
            kept = keep
        finally:
            result.peak = system.memory.stop() if kept else system.stop()
            result.warnings = system.warnings()
        print(f"  {name}: peak {result.peak / 2**20:.0f} MB" + (" (kept up for the alternating cells)" * kept),
              flush=True)
        for line in result.warnings:
            print(f"  {name} warned: {line}", flush=True)
        return kept

    def measure(self, result: SystemResult, system: peers.System, questions: dict[str, list[Question]],
                api: bool) -> None:
        """Check the first answers against raw pyoxigraph's, then run each kind with 1 and 8 clients."""
        seconds, most = self.args.seconds, self.args.most
        for kind, asked in questions.items():
            slow = self._too_slow(result.name, kind, self.scale)
            if slow:
                result.cells[(kind, 1)] = result.cells[(kind, 8)] = slow
                print(f"    {result.name} {kind}: {slow}", flush=True)
                continue
            answers, timings = [], []
            try:
                for question in asked[:3]:
                    began = time.perf_counter()
                    answers.append(system.answer(question, sparql=not api))
                    timings.append((time.perf_counter() - began) * 1000)
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as err:
                result.checks[kind] = f"ERROR ({type(err).__name__})"
                print(f"    {result.name} {kind}: {err}"[:500], flush=True)
                timings.append((time.perf_counter() - began) * 1000)
            else:
                mine = [(_summary(kind, a, api), None if api else _rows(a)) for a in answers]
                reference = self.reference.setdefault(kind, mine)
                same = sum(m[0] == r[0] and (m[1] is None or m[1] == r[1]) for m, r in zip(mine, reference))
                result.checks[kind] = "same" if same == len(mine) else f"DIFFER ({len(mine) - same} of {len(mine)})"
            cursor = len(answers)
            if max(timings) > seconds * 1000:  # too slow to repeat: the checked answers are the 1-client run
                failed = int(result.checks[kind].startswith("ERROR"))
                one = Stats(1, len(timings), failed, sum(timings) / 1000, statistics.median(timings), max(timings))
            else:
                one = system.run(asked, 1, seconds, most, start=cursor, sparql=not api)
                cursor = _after(cursor, one)
            result.cells[(kind, 1)] = one
            per_answer = one.seconds / max(one.requests, 1)
            if per_answer > seconds:
                result.cells[(kind, 8)] = f"not run ({per_answer:.1f} s per answer)"
            else:
                result.cells[(kind, 8)] = system.run(asked, 8, seconds, most, start=cursor, sparql=not api)
                cursor = _after(cursor, result.cells[(kind, 8)])
            self.cursors[(result.name, kind)] = cursor
            eight = result.cells[(kind, 8)]
            print(f"    {result.name} {kind}: {result.checks[kind]}; 1 client {one.throughput:.1f}/s p50 "
                  f"{one.p50:.1f} ms" + (f"; 8 clients {eight.throughput:.1f}/s p99 {eight.p99:.1f} ms"
                                         if isinstance(eight, Stats) else "")
                  + (f"; errors: {one.first_error}" if one.errors else ""), flush=True)


def _after(start: int, stats: Stats) -> int:
    """Where a system's next cell starts asking: after every question this cell sent.

    Cells go on through the questions rather than start again at the first: rdflib-endpoint
    keeps its last 128 parsed queries, and answered 50 gap questions asked over and over at
    75-93/s against 62-73/s going on through 200 (S = 1 000, one client). Distinct people ask
    distinct questions; going on through 200, no text comes back within 128 others. The
    in-flight requests wrk drops at the end were sent too (at most one per client).
    """
    return start + stats.requests + stats.clients


def _folder(workdir: Path, name: str) -> Path:
    """A new folder under `workdir` for one system's store and log."""
    folder = workdir / name.replace(" ", "-").replace("(", "").replace(")", "")
    folder.mkdir()
    return folder


def machine() -> str:
    """CPU, cores, memory, Python, library and server versions, and the load average."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    libs = ", ".join(f"{n} {version(n)}" for n in ("pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn",
                                                    "httpx"))
    packages = {name: subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                                     text=True).stdout or "not installed"
                for name in ("virtuoso-opensource-7-bin", "wrk")}
    return (f"{cpu}, {os.cpu_count()} cores, {memory_total() / 2**30:.0f} GiB; Linux {platform.release()}; "
            f"Python {platform.python_version()}; {libs}; Virtuoso Open Source {packages['virtuoso-opensource-7-bin']}; "
            f"wrk {packages['wrk']}")


def render(runner: Runner, began: float, load_before: tuple[float, ...]) -> list[str]:
    """The comparison section of RESULTS.md."""
    args = runner.args
    load_after = os.getloadavg()
    lines = ["## Comparison with raw pyoxigraph, rdflib-endpoint and Virtuoso", "",
             f"Measured {date.today().isoformat()} on {machine()}. Load average "
             f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; the run took {(time.time() - began) / 60:.1f} min.",
             "", f"Data: `benchmarks/generate.py S` (seed 42) plus the vocabularies in ontology/, the same files for "
             f"every system. Questions: {args.questions} per kind picked with a seeded RNG (seed 7) and asked in the "
             "same order of every system (coverage has no parameters: one question). graph-service runs with "
             "`serve --one-cpu --store DIR` (the machine is its own while it is measured) against raw pyoxigraph "
             "bulk-loading a store directory, and also in memory against pyoxigraph in memory at S = "
             + ", ".join(map(str, args.memory_scales)) + ". \"pyoxigraph (graph per "
             "file)\" bulk-loads the same files into a store directory, each into a named graph of its own as "
             "graph-service keeps its sources, and answers nothing: what that layout costs pyoxigraph itself (a "
             "named graph's quads go into six indexes, the default graph's into three). Each cell runs for "
             f"{args.seconds:g} s (in process: or {args.most} requests, whichever ends first), after three checked "
             "answers that warm the caches; a system's cells go on through the questions where its previous cell "
             "stopped, as distinct people ask distinct questions (rdflib-endpoint keeps its last 128 parsed queries, "
             "and a cell that started again at the first question was answered from them). Before the cells each system answers one gap (\"first gap, cold\") and is left until "
             "its processes go idle (\"idle after\": graph-service warms its records and SPARQL workers in the "
             "background after it starts answering). Load time is launch → answering (its first HTTP answer; for "
             "raw pyoxigraph, the end of its bulk load), whole process included. Up to S = "
             f"{args.repeat_scale}, pyoxigraph's and graph-service's is the median of {args.launches} launches in "
             "turn (each started in its own folder, and stopped as soon as it answers, before the launch that is "
             "asked the questions), and the load goal's verdict is the median of the rounds' ratios; the others', "
             "and memory, are from the launch that is asked (pyoxigraph with a graph per file, which answers "
             "nothing, is measured by its launches in turn alone). Peak memory is the largest "
             "resident set of the process and all its children (graph-service's SPARQL workers), sampled every "
             "0.1 s from launch to stop (for the servers kept up for the alternating gap cells below, to the end of their "
             "own cells). Over HTTP the load comes from wrk (a C load generator, one thread, one "
             "keep-alive connection per client) on the same 2-core machine as the servers, sending the requests httpx "
             "builds (it offers gzip; wrk reads a gzipped body as sent, never inflated); the checked answers are asked "
             "with httpx and decoded. A question that is several requests in turn (coverage over SPARQL: three texts) "
             "is asked by Python threads with httpx; it takes seconds per answer. Raw pyoxigraph is asked by threads in "
             "its own process. Why wrk: Python threads with httpx took ~0.7 ms of CPU per request from the shared "
             "cores and got at most ~1 350 answers/s out of a do-nothing ASGI app on uvicorn, with 1 or 8 clients; wrk "
             "got 7 500 and 20 000 out of it. rdflib-endpoint runs at S = " + ", ".join(map(str, args.rdflib_scales)) + ", Virtuoso at "
             "S = " + ", ".join(map(str, args.virtuoso_scales)) + ". \"answers\": the first three answers agree with "
             "raw pyoxigraph's (missing competences, ladder roles, statement and requirement counts). The gap goal "
             "against rdflib-endpoint is judged on a second measurement: rdflib-endpoint and graph-service (each "
             "store) are measured last, each kept up, idle, once its own cells are done, and then up together their "
             f"gap cells alternate for {args.paired_rounds} rounds, going on through the questions where each one's "
             "own gap cells stopped (graph-service is idle while rdflib-endpoint is asked, and the other way round); "
             "the verdict is the median of the rounds' ratios, since one machine's speed drifts by a quarter or more "
             "between cells measured minutes apart.", ""]
    for roles, scale in runner.results.items():
        lines += [f"### S = {roles} roles ({scale.triples:,} triples plus the vocabularies)".replace(",", " "), "",
                  *load_table(scale), ""]
        for kind in KINDS:
            lines += [f"#### {kind}", "", *question_table(scale, kind), ""]
        lines += ["#### graph-service's throughput ÷ each other system's", "", *peer_ratios(scale), ""]
        if scale.paired:
            lines += ["#### gap against rdflib-endpoint, the servers up together and their cells alternating", "",
                      *paired_table(scale), ""]
        lines += ["#### graph-service's warnings in its log (slow SPARQL queries: a second or more)", "",
                  *warnings_list(scale), ""]
    scales = sorted(runner.results)
    if len(scales) > 1:
        low, high = runner.results[scales[-2]], runner.results[scales[-1]]
        lines += [f"### Scaling from S = {low.roles} to S = {high.roles}", "",
                  *scaling_table(low, high, [GS, GS_MEMORY, GS_SPARQL, FLOOR, FLOOR_MEMORY, VIRTUOSO]), ""]
    lines += ["### Goals (issue 8)", "", "Verdicts as measured in this run; why a goal is missed is under "
              "\"Analysis\" below.", "", *goals(runner.results), ""]
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100,1000,10000", help="numbers of roles, comma-separated")
    parser.add_argument("--rdflib-scales", default="100,1000")
    parser.add_argument("--memory-scales", default="100,1000",
                        help="where graph-service and pyoxigraph also run in memory (besides in a directory)")
    parser.add_argument("--virtuoso-scales", default="100,1000,10000")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per cell")
    parser.add_argument("--most", type=int, default=5000, help="requests per cell at most")
    parser.add_argument("--questions", type=int, default=200, help="questions per kind")
    parser.add_argument("--answer-cap", type=float, default=20, help="skip a question whose projected answer takes longer")
    parser.add_argument("--load-budget", type=float, default=300, help="skip a system whose projected load takes longer")
    parser.add_argument("--launches", type=int, default=3,
                        help="rounds of pyoxigraph's and graph-service's launches in turn per scale; the median is reported")
    parser.add_argument("--repeat-scale", type=int, default=1000, help="launch in turn up to this scale")
    parser.add_argument("--paired-rounds", type=int, default=5,
                        help="rounds of the gap against rdflib-endpoint with the servers up together (0: none)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    for name in ("scales", "rdflib_scales", "virtuoso_scales", "memory_scales"):
        setattr(args, name, [int(s) for s in getattr(args, name).split(",") if s])
    return args


def main() -> None:
    args = parse_args()
    began, load_before = time.time(), os.getloadavg()
    runner = Runner(args)
    for roles in args.scales:
        runner.run_scale(roles)
    lines = render(runner, began, load_before)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({r: {**{n: {**asdict(s), "cells": {f"{k}/{c}": (asdict(v) if isinstance(v, Stats)
                                                                                          else v) for (k, c), v in s.cells.items()}}
                                                 for n, s in scale.systems.items()},
                                              "paired gap": {f"{n}/{c}": rates for (n, c), rates in scale.paired.items()}}
                                          for r, scale in runner.results.items()}, indent=1, default=str))
    replace_block(args.out, "comparison", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
