"""Markdown tables of a comparison run (benchmarks/compare.py), with ratios and the goals' verdicts."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from load import Stats
from questions import KINDS

GS, GS_SPARQL, FLOOR, RDFLIB, VIRTUOSO = "graph-service", "graph-service /sparql", "pyoxigraph", "rdflib-endpoint", "Virtuoso"
FLOOR_PER_FILE = FLOOR + " (graph per file)"
CLIENTS = (1, 8)


@dataclass
class SystemResult:
    """One system at one scale: load, memory, the answers' check, and a Stats (or why not) per cell."""

    name: str
    store: str
    load_seconds: float = math.nan  # the median of `launches`
    launches: list[float] = field(default_factory=list)  # launch → answering per round launched in turn, or the one launch
    in_process_load: float | None = None
    load_peak: int = 0
    peak: int = 0
    first_gap_ms: float = math.nan
    settled_seconds: float = math.nan  # from launch until the process tree went idle after the first gap
    skipped: str = ""
    shares: str = ""  # the name of the system whose process this one asks another way (its load is there)
    checks: dict[str, str] = field(default_factory=dict)
    cells: dict[tuple[str, int], Stats | str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # lines the server logged as WARNING (graph-service)


@dataclass
class ScaleResult:
    """Every system at one scale S (roles)."""

    roles: int
    triples: int
    systems: dict[str, SystemResult] = field(default_factory=dict)
    paired: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    """Gap answers/s per round of the alternating measurement, by (system, clients)."""

    def stats(self, system: str, kind: str, clients: int) -> Stats | None:
        found = self.systems.get(system)
        cell = found.cells.get((kind, clients)) if found and not found.skipped else None
        return cell if isinstance(cell, Stats) else None


def _n(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def _mb(n: int) -> str:
    return _n(n / 2**20, 0) if n else "—"


def load_table(scale: ScaleResult) -> list[str]:
    """Load time and memory per system, as ratios to the floor in the same kind of store."""
    lines = ["| system | store | launch → answering s | × pyoxigraph (same store) | peak RSS during load MB | "
             "peak RSS over the run MB | × pyoxigraph (same store) | first gap, cold ms | idle after s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for result in scale.systems.values():
        if result.shares:
            continue
        if result.skipped:
            lines.append(f"| {result.name} | {result.store} | {result.skipped} ||||||| ")
            continue
        floor = _floor(scale, result.store)
        extra = f" (bulk load {result.in_process_load:.2f})" if result.in_process_load is not None else ""
        lines.append(f"| {result.name} | {result.store} | {_n(result.load_seconds, 2)}{extra} | "
                     f"{_ratio(result.load_seconds, floor.load_seconds if floor else None)} | {_mb(result.load_peak)} | "
                     f"{_mb(result.peak)} | {_ratio(result.peak, floor.peak if floor else None)} | "
                     f"{_n(result.first_gap_ms)} | {_n(result.settled_seconds)} |")
    return lines


def _floor(scale: ScaleResult, store: str) -> SystemResult | None:
    """The raw pyoxigraph run on the same kind of store (memory or directory), else any pyoxigraph run."""
    floors = [r for r in scale.systems.values() if r.name.startswith(FLOOR) and not r.skipped]
    same = [r for r in floors if r.store == store]
    return (same or floors or [None])[0]


def question_table(scale: ScaleResult, kind: str) -> list[str]:
    """Throughput and latency of every system on one kind of question, with 1 and 8 clients."""
    lines = ["| system | answers | 1 client req/s | p50 ms | p99 ms | 8 clients req/s | p50 ms | p99 ms | "
             "8 clients × pyoxigraph |", "|---|---|---|---|---|---|---|---|---|"]
    for result in scale.systems.values():
        if result.skipped or not any(k == kind for k, _ in result.cells):
            continue
        cells = []
        for clients in CLIENTS:
            cell = result.cells.get((kind, clients))
            if isinstance(cell, Stats):
                errors = f" ({cell.errors} errors)" if cell.errors else ""
                cells += [_n(cell.throughput) + errors, _n(cell.p50), _n(cell.p99)]
            else:
                cells += [cell or "—", "", ""]
        floor = _floor(scale, result.store)
        mine = scale.stats(result.name, kind, 8)
        base = scale.stats(floor.name, kind, 8) if floor else None
        ratio = _ratio(mine.throughput if mine else None, base.throughput if base else None)
        lines.append(f"| {result.name} | {result.checks.get(kind, '—')} | {' | '.join(cells)} | {ratio} |")
    return lines


def peer_ratios(scale: ScaleResult) -> list[str]:
    """graph-service's throughput divided by each other system's, per question and client count."""
    others = [name for name, r in scale.systems.items() if name != GS and not r.skipped and r.cells]
    lines = ["| question | clients | " + " | ".join(f"÷ {o}" for o in others) + " |",
             "|---|---|" + "---|" * len(others)]
    for kind in KINDS:
        for clients in CLIENTS:
            mine = scale.stats(GS, kind, clients)
            row = [_ratio(mine.throughput if mine else None,
                          (s.throughput if (s := scale.stats(o, kind, clients)) else None)) for o in others]
            lines.append(f"| {kind} | {clients} | {' | '.join(row)} |")
    return lines


def paired_ratios(scale: ScaleResult, name: str, clients: int) -> list[float]:
    """Per round of the alternating measurement: `name`'s gap throughput over rdflib-endpoint's."""
    mine, theirs = scale.paired.get((name, clients), []), scale.paired.get((RDFLIB, clients), [])
    return [a / b for a, b in zip(mine, theirs) if b]


def paired_table(scale: ScaleResult) -> list[str]:
    """The alternating gap measurement: answers/s per round, and each round's ratio to rdflib-endpoint."""
    rounds = max((len(v) for v in scale.paired.values()), default=0)
    lines = ["| system | clients | " + " | ".join(f"round {n + 1}" for n in range(rounds)) + " | ÷ rdflib-endpoint, "
             "per round | median |", "|---|---|" + "---|" * rounds + "---|---|"]
    for (name, clients), rates in scale.paired.items():
        ratios = paired_ratios(scale, name, clients) if name != RDFLIB else []
        lines.append(f"| {name} | {clients} | {' | '.join(_n(r) for r in rates)} | "
                     f"{', '.join(f'{r:.1f}×' for r in ratios) or '—'} | "
                     f"{f'{statistics.median(ratios):.2f}×' if ratios else '—'} |")
    return lines


def warnings_list(scale: ScaleResult, most: int = 10) -> list[str]:
    """What each graph-service logged as WARNING while it was measured (slow or stopped SPARQL queries)."""
    lines = []
    for result in scale.systems.values():
        if result.name.startswith(GS) and not result.shares and not result.skipped:
            shown = [f"  - `{line}`" for line in result.warnings[:most]]
            more = [f"  - … and {len(result.warnings) - most} more"] if len(result.warnings) > most else []
            lines += [f"- {result.name}: " + (f"{len(result.warnings)}" if result.warnings else "none"), *shown, *more]
    return lines


def scaling_table(low: ScaleResult, high: ScaleResult, systems: list[str]) -> list[str]:
    """p50 at 1 client from S to 10 S per system and question; linear scaling is 10×."""
    factor = high.roles / low.roles
    lines = [f"| system | question | p50 ms at S = {low.roles} | p50 ms at S = {high.roles} | growth | "
             f"no worse than linear ({factor:.0f}×) |", "|---|---|---|---|---|---|"]
    for name in systems:
        for kind in KINDS:
            a, b = low.stats(name, kind, 1), high.stats(name, kind, 1)
            if a is None or b is None:
                continue
            growth = b.p50 / a.p50
            lines.append(f"| {name} | {kind} | {_n(a.p50)} | {_n(b.p50)} | {growth:.1f}× | "
                         f"{'met' if growth <= factor else 'MISSED'} |")
    return lines


def _load_ratio(mine: SystemResult, other: SystemResult) -> tuple[float, str]:
    """`mine`'s load time over `other`'s: the median of the rounds' ratios where both were launched in turn."""
    if len(mine.launches) > 1 and len(mine.launches) == len(other.launches):
        ratios = [a / b for a, b in zip(mine.launches, other.launches)]
        return statistics.median(ratios), f" (median of {len(ratios)} rounds in turn, {min(ratios):.2f}–{max(ratios):.2f}×)"
    return mine.load_seconds / other.load_seconds, ""


def _verdict(ok: bool, short: str) -> str:
    return "met" if ok else f"MISSED ({short})"


def goals(results: dict[int, ScaleResult], systems: tuple[str, ...] = (GS, GS + " (in memory)")) -> list[str]:
    """Each of issue 8's goals, per scale and client count where it was measured, with the margin."""
    lines = ["| goal | system | where | measured | verdict |", "|---|---|---|---|---|"]
    for roles, scale in results.items():
        for peer, factor in ((RDFLIB, 20.0), (VIRTUOSO, 1.5)):
            for name in systems:
                for clients in CLIENTS:
                    mine, theirs = scale.stats(name, "gap", clients), scale.stats(peer, "gap", clients)
                    paired = paired_ratios(scale, name, clients) if peer == RDFLIB else []
                    if paired:
                        r = statistics.median(paired)
                        how = f" (median of {len(paired)} rounds in alternation, {min(paired):.1f}–{max(paired):.1f}×)"
                    elif mine and theirs and theirs.throughput:
                        r, how = mine.throughput / theirs.throughput, ""
                    else:
                        continue
                    lines.append(f"| gap throughput ≥ {factor:g}× {peer}'s | {name} | S = {roles}, {clients} "
                                 f"client{'s' * (clients > 1)} | {r:.2f}×{how} | "
                                 f"{_verdict(r >= factor, f'{factor / r:.1f}× short')} |")
    if 1000 in results:
        for name in systems:
            for kind in KINDS:
                cell = results[1000].systems.get(name)
                stats = results[1000].stats(name, kind, 8)
                why = cell.cells.get((kind, 8)) if cell and not cell.skipped else "not run"
                measured = f"{stats.p99:.0f} ms" if stats else str(why)
                ok = bool(stats) and stats.p99 < 50
                lines.append(f"| p99 < 50 ms with 8 clients | {name} | S = 1000, {kind} | {measured} | "
                             f"{_verdict(ok, f'{stats.p99 / 50:.1f}× the limit' if stats else 'not measured')} |")
    for roles, scale in results.items():
        for name in systems:
            mine = scale.systems.get(name)
            floor = _floor(scale, mine.store) if mine and not mine.skipped else None
            if not floor:
                continue
            r, how = _load_ratio(mine, floor)
            per_file = scale.systems.get(FLOOR_PER_FILE) if mine.store == "directory" else None
            if per_file and not per_file.skipped:
                how += f"; {_load_ratio(mine, per_file)[0]:.2f}× pyoxigraph's own load of a graph per file"
            lines.append(f"| load ≤ 1.2× raw pyoxigraph's bulk load (launch → answering) | {name} | S = {roles}, "
                         f"{mine.store} | {r:.2f}×{how} | {_verdict(r <= 1.2, f'{r / 1.2:.1f}× over')} |")
            r = mine.peak / floor.peak
            lines.append(f"| peak memory ≤ 1.3× raw pyoxigraph's | {name} | S = {roles}, {mine.store} | {r:.1f}× | "
                         f"{_verdict(r <= 1.3, f'{r / 1.3:.1f}× over')} |")
    if 1000 in results and 10000 in results:
        low, high = results[1000], results[10000]
        for name in (*systems, GS_SPARQL):
            for kind in KINDS:
                a, b = low.stats(name, kind, 1), high.stats(name, kind, 1)
                if a and b:
                    g = b.p50 / a.p50
                    lines.append(f"| no question worse than linear (p50 × ≤ 10 from S = 1000 to 10 000) | {name} | "
                                 f"{kind} | {g:.1f}× | {_verdict(g <= 10, f'{g / 10:.1f}× past linear')} |")
            if not (high.stats(name, "gap", 1)) and name in high.systems:
                lines.append(f"| no question worse than linear | {name} | S = 10 000 | "
                             f"{high.systems[name].skipped or 'not measured'} | not measured |")
    return lines
