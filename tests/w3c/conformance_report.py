"""The conformance run as a table: per folder and in total, for the console and benchmarks/CONFORMANCE.md."""

from __future__ import annotations

import os
import platform
from collections import Counter
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol


# Why a test fails, as far as we found out (pyoxigraph 0.5.13); shown next to the failures.
_CONCAT = "pyoxigraph: GROUP_CONCAT keeps a language tag its values share"
_ZERO_PATH = "pyoxigraph: a zero-length path from a constant not in the data matches nothing"
NOTES = {
    "aggregates/agg-groupconcat-04": _CONCAT,
    "aggregates/agg-groupconcat-06": _CONCAT,
    "aggregates/agg-empty-group-count-graph": "pyoxigraph: GRAPH ?g { subquery } does not bind ?g per named graph",
    "bindings/graph": "pyoxigraph: GRAPH ?g { VALUES } does not bind ?g per named graph",
    "negation/graph-minus": "pyoxigraph: GRAPH ?g { … MINUS … } finds nothing",
    "functions/bnode01": "pyoxigraph: BNODE(str) gives the same blank node in every solution, not one per solution",
    **dict.fromkeys([f"property-path/zero_or_{n}_set_{end}" for n in ("more", "one") for end in ("start", "end")],
                    _ZERO_PATH),
    "csv-tsv-res/tsv03": "pyoxigraph store: \"-3\"^^xsd:negativeInteger comes back as xsd:integer",
    "syntax-update-1/test_8": "our bug: an update that fails when run (DROP of a missing graph) answers 500, not 400",
}


class Result(Protocol):
    """What the report needs of an outcome."""

    status: str
    detail: str
    exact: bool

    @property
    def test(self) -> object: ...


def rows(outcomes: list[Result]) -> list[tuple[str, Counter]]:
    """(folder, counts by status, and 'exact' passes) in run order, then ("total", counts)."""
    by_folder: dict[str, Counter] = {}
    for outcome in outcomes:
        counts = by_folder.setdefault(outcome.test.folder, Counter())
        counts[outcome.status] += 1
        counts["exact"] += outcome.exact
    return [*by_folder.items(), ("total", sum(by_folder.values(), Counter()))]


def _run(counts: Counter) -> int:
    """How many tests a row counts."""
    return sum(counts[s] for s in ("pass", "fail", "refused", "error"))


def rate(counts: Counter) -> str:
    """Pass rate over the tests run, as a percentage."""
    run = _run(counts)
    return f"{100 * counts['pass'] / run:.1f} %" if run else "–"


def rate_without_refused(counts: Counter) -> str:
    """Pass rate leaving out the tests refused by design (SERVICE, LOAD)."""
    run = _run(counts) - counts["refused"]
    return f"{100 * counts['pass'] / run:.1f} %" if run else "–"


def console(outcomes: list[Result]) -> str:
    """A plain-text table for the terminal."""
    lines = [f"{'folder':<22}{'tests':>6}{'pass':>6}{'exact':>6}{'fail':>6}{'refused':>8}{'error':>6}  pass rate"]
    for folder, c in rows(outcomes):
        lines.append(f"{folder:<22}{_run(c):>6}{c['pass']:>6}{c['exact']:>6}{c['fail']:>6}{c['refused']:>8}"
                     f"{c['error']:>6}  {rate(c)}")
    return "\n".join(lines)


def _cpu() -> str:
    """The CPU model and count."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs"


def _version(package: str) -> str:
    """An installed package's version."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def markdown(outcomes: list[Result], seconds: float, commit: str, command: str) -> str:
    """benchmarks/CONFORMANCE.md: how it was run, the table, and every test that did not pass."""
    total = rows(outcomes)[-1][1]
    packages = ", ".join(f"{p} {_version(p)}" for p in ("graph-service", "pyoxigraph", "rdflib", "fastapi", "uvicorn"))
    out = [
        "# SPARQL 1.1 conformance (W3C test suite)",
        "",
        f"`{command}` runs the W3C SPARQL 1.1 query, results-format, federation and update tests",
        f"(w3c/rdf-tests `{commit[:7]}`, vendored in `tests/w3c/sparql11/`) against a real server:",
        "queries go through `/sparql` with the test's dataset named by `default-graph-uri` /",
        "`named-graph-uri`, data and update results through the Graph Store Protocol. Not run: the",
        "entailment-regime tests. The protocol and Graph Store Protocol suites are in `make test`",
        "(`tests/test_w3c_protocol.py`).",
        "",
        f"**Total: {total['pass']} of {_run(total)} tests pass ({rate(total)}); "
        f"{rate_without_refused(total)} of those not refused by design.**",
        "",
        "Results compare as multisets (as sequences under ORDER BY) up to blank-node renaming, graphs",
        "by isomorphism. Numeric and boolean literals of the same datatype compare by value: the store",
        "keeps values, not lexical forms (`\"1.0e6\"^^xsd:double` comes back as `\"1000000\"`). The",
        "*exact* column counts the passes that also hold with literals compared as exact terms.",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, run time {seconds:.0f} s",
        f"- machine: {platform.platform()}; {_cpu()}; Python {platform.python_version()}",
        f"- versions: {packages}",
        "",
        "| folder | tests | pass | exact | fail | refused | error | pass rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for folder, c in rows(outcomes):
        name = f"**{folder}**" if folder == "total" else folder
        out.append(f"| {name} | {_run(c)} | {c['pass']} | {c['exact']} | {c['fail']} | {c['refused']} "
                   f"| {c['error']} | {rate(c)} |")
    out += ["", "*refused*: SERVICE and LOAD, which the public endpoint refuses by design (403) so it never",
            "fetches arbitrary URLs. *error*: the harness could not run the test.", "",
            "## Tests that do not pass", "", "| folder | test | outcome | cause | detail |", "|---|---|---|---|---|"]
    for o in outcomes:
        if o.status != "pass":
            why = " ".join(o.detail.split()).replace("|", "\\|")[:160]
            refused = "SERVICE / LOAD refused by design" if o.status == "refused" else ""
            cause = NOTES.get(f"{o.test.folder}/{o.test.name}", refused)
            out.append(f"| {o.test.folder} | {o.test.name} | {o.status} | {cause} | {why} |")
    return "\n".join(out) + "\n"
