"""cli.py through the real console script: validate, query, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXE = [str(Path(sys.executable).with_name("graph-service"))]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(EXE + list(args), capture_output=True, text=True, timeout=120)


def test_validate_conformant_file_exits_0(data_dir: Path) -> None:
    done = run("validate", str(data_dir / "mini-catalogue.ttl"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conforms" in done.stdout


def test_validate_invalid_file_exits_1_with_report(data_dir: Path) -> None:
    done = run("validate", str(data_dir / "invalid-element.ttl"))
    assert done.returncode == 1
    assert "<http://example.org/invalid/bad>" in done.stdout
    assert "mm:eqfLevel" in done.stdout


def test_validate_json_report(data_dir: Path) -> None:
    done = run("validate", "--format", "json", str(data_dir / "invalid-element.ttl"))
    report = json.loads(done.stdout)
    assert report["conforms"] is False
    assert any(f["path"] == "mm:participationForm" for f in report["findings"])


def test_validate_broken_file_exits_2_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    done = run("validate", str(bad))
    assert done.returncode == 2
    assert f"{bad}:2:" in done.stderr


def test_query_named_with_parameter_as_table(data_dir: Path) -> None:
    done = run("query", "credentials-by-eqf-level", "--param", "level=eqf:4",
               "--data", str(data_dir / "mini-catalogue.ttl"))
    assert done.returncode == 0, done.stderr
    assert "<http://example.org/mini/cred2>" in done.stdout and "(2 rows)" in done.stdout


def test_query_json_and_csv(data_dir: Path) -> None:
    args = ["query", "credentials-by-eqf-level", "--data", str(data_dir / "mini-catalogue.ttl")]
    results = json.loads(run(*args, "--format", "json").stdout)
    assert len(results["results"]["bindings"]) == 3
    csv = run(*args, "--format", "csv").stdout.splitlines()
    assert csv[0].strip() == "credential,label,level,hours" and len(csv) == 4


def test_query_file(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "ask.rq"
    path.write_text("ASK { ?c a <https://w3id.org/mikromerit/ns#MicroCredential> }")
    done = run("query", str(path), "--data", str(data_dir / "mini-catalogue.ttl"))
    assert done.stdout.strip() == "true"


def test_query_list_names_every_query() -> None:
    done = run("query")
    assert "credentials-by-life-area" in done.stdout and "parameters: lifeArea (IRI)" in done.stdout


@pytest.mark.parametrize("args,message", [
    (["query", "nope"], "neither a named query nor a file"),
    (["query", "credentials-by-eqf-level", "--param", "level"], "write NAME=VALUE"),
    (["query", "credentials-by-eqf-level", "--param", "lvl=eqf:4"], "has no parameter 'lvl'"),
])
def test_query_bad_input_exits_2(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr


def test_data_check_with_rows_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "c.ttl"
    path.write_text("@prefix mm: <https://w3id.org/mikromerit/ns#> .\n<http://example.org/x> a mm:MicroCredential .\n")
    done = run("query", "outcome-dimension-missing-violation", "--data", str(path))
    assert done.returncode == 1
    assert "(3 rows)" in done.stdout


MINI = "http://example.org/mini/"


def test_gap_prints_the_same_json_as_the_api(data_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from graph_service.api import create_app
    from graph_service.loading import open_graph
    from graph_service.settings import Settings

    path = data_dir / "mini-catalogue.ttl"
    done = run("gap", "--data", str(path), "--holds", MINI + "cred1", "--holds", MINI + "c3",
               "--target", MINI + "senior")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    client = TestClient(create_app(Settings(data=(path,)), open_graph([path])))
    answered = client.post("/api/gap", json={"holds": [MINI + "cred1", MINI + "c3"], "target": MINI + "senior"})
    assert printed == answered.json()
    assert [s["credential"] for s in printed["plan"]] == [MINI + "cred2"]


def test_gap_without_holds_starts_from_nothing(data_dir: Path) -> None:
    done = run("gap", "--data", str(data_dir / "mini-catalogue.ttl"), "--target", MINI + "senior", "--lang", "en")
    body = json.loads(done.stdout)
    assert body["totalWorkloadHours"] == 38.0 and body["plan"][0]["label"] == "Basic course"


@pytest.mark.parametrize("args,message", [
    (["--target", MINI + "nobody"], "not in the graph"),
    (["--target", MINI + "cred1"], "is a credential, not a role"),
    (["--holds", MINI + "ghost", "--target", MINI + "senior"], "holds"),
])
def test_gap_bad_input_exits_2(data_dir: Path, args: list[str], message: str) -> None:
    done = run("gap", "--data", str(data_dir / "mini-catalogue.ttl"), *args)
    assert done.returncode == 2 and message in done.stderr and done.stdout == ""


def test_gap_on_a_file_that_does_not_parse_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    done = run("gap", "--data", str(bad), "--target", MINI + "senior")
    assert done.returncode == 2 and "broken.ttl" in done.stderr and "line 2" in done.stderr


def test_ladder_and_coverage_commands(data_dir: Path) -> None:
    path = str(data_dir / "mini-catalogue.ttl")
    done = run("ladder", "--data", path, "--from", MINI + "junior", "--to", MINI + "senior")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["roles"] == [MINI + "junior", MINI + "senior"]
    done = run("ladder", "--data", path, "--from", MINI + "senior", "--to", MINI + "junior")
    assert done.returncode == 2 and "no chain" in done.stderr
    done = run("coverage", "--data", path)
    roles = {r["role"]: r["share"] for r in json.loads(done.stdout)["roles"]}
    assert roles == {MINI + "junior": 1.0, MINI + "senior": 1.0}


def test_gap_accepts_a_core_vocabulary_catalogue(data_dir: Path) -> None:
    done = run("gap", "--data", str(data_dir / "core-only.ttl"), "--target", "http://example.org/core/welder")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert [s["credential"] for s in body["plan"]] == ["http://example.org/core/migcourse",
                                                       "http://example.org/core/tigcourse"]


def test_export_command_writes_each_format(tmp_path: Path) -> None:
    """The CLI is a thin wrapper over graph_service.exporters; check it runs and fails clearly."""
    out = tmp_path / "ob3.json"
    done = run("export", "--format", "ob3", "--credential", "credential:ys-03", "--out", str(out))
    assert done.returncode == 0, done.stderr
    achievement = json.loads(out.read_text())
    assert achievement["id"] == "https://w3id.org/mikromerit/id/credential/ys-03"
    assert achievement["resultDescription"][0]["requiredValue"] == "80"
    done = run("export", "--format", "elm", "--credential", "credential:nope")
    assert done.returncode == 2 and "not a micro-credential" in done.stderr
    done = run("export", "--format", "turtle")
    assert done.returncode == 0 and "vk-23" in done.stdout


def test_serve_imports_its_web_stack_without_rdflib_and_runs_networkx_only_when_a_ladder_needs_it() -> None:
    """What `serve` imports before it answers (cli, uvicorn, the app) leaves rdflib, pyshacl and networkx
    for the requests that need them: ~0.3 s and ~16 MB of its start-up at S = 100. A ladder then
    runs networkx and answers as before."""
    probe = """
import json, sys
import uvicorn
import graph_service.cli, graph_service.api
before = sorted({"rdflib", "pyshacl", "networkx.classes"} & set(sys.modules))
from graph_service.loading import open_graph
from graph_service.service import Service
role = "https://w3id.org/mikromerit/id/role/"
answer = Service(open_graph()).ladder(role + "drifttekniker", role + "vakthavande-drifttekniker", [])
print(json.dumps({"before": before, "after": "networkx.classes" in sys.modules, "roles": answer.roles}))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["before"] == []
    assert seen["after"] is True
    assert seen["roles"] == ["https://w3id.org/mikromerit/id/role/" + r for r in
                             ("drifttekniker", "kopplingsbehorig-drifttekniker", "vakthavande-drifttekniker")]


def test_threads_that_first_use_a_lazy_module_together_all_see_it_whole() -> None:
    """The lanes and the warm-up may run the first ladder at once: each sees networkx whole, none a
    half-imported module (importlib's LazyLoader on Python 3.11 let them)."""
    probe = """
import threading
from graph_service.planner import nx
barrier, seen = threading.Barrier(8), []
def first_use():
    barrier.wait()
    graph = nx.DiGraph([("a", "b"), ("b", "c")])
    seen.append(sorted(nx.descendants(graph, "a")))
threads = [threading.Thread(target=first_use) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(seen)
"""
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str([["b", "c"]] * 8), done.stderr
