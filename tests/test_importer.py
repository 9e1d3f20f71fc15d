"""The catalogue importer (graph_service/importers/): CSV and XLSX sheets → one named graph, all or nothing."""

from __future__ import annotations

import csv
import gc
import io
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph_service.api import create_app
from graph_service.importers import (CatalogueInvalid, CatalogueUnreadable, console, default_graph, graph_for,
                                     import_catalogue, read_bytes, read_files)
from graph_service.importers.columns import SHEETS
from graph_service.loading import open_graph
from graph_service.namespaces import GRAPH_BASE, MM, MMID, RDF
from graph_service.resources import pilot_files, resource_dir
from graph_service.settings import Settings
from graph_service.store import Store

EXE = str(Path(sys.executable).with_name("graph-service"))
TEMPLATES = resource_dir("mappings") / "templates"
TEMPLATE_FILES = [TEMPLATES / f"{kind}.csv" for kind in ("credentials", "roles", "competences")]
PILOT_CSV = [resource_dir("mappings") / "pilot-csv" / f"{kind}.csv" for kind in ("credentials", "roles", "competences")]
TOKEN = "a-test-token-of-some-length"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)


def imported(store: Store, files: list[Path], graph: str | None = None):
    """Import files into a store; return the report."""
    sheets = read_files(files)
    return import_catalogue(store, sheets, graph or default_graph(sheets))


def credentials(store: Store) -> set[str]:
    rows = store.select(f"SELECT ?c WHERE {{ ?c a <{MM}MicroCredential> }}")
    return {row["c"].value for row in rows}


def dump_of(directory: Path) -> bytes:
    """The N-Quads of an on-disk store, opened and closed again (one process may hold it at a time)."""
    store = Store(directory)
    data = store.dump()
    del store
    gc.collect()
    return data


# -- the template ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(SHEETS))
def test_template_header_is_the_column_list_and_readme_explains_each(kind: str) -> None:
    with open(TEMPLATES / f"{kind}.csv", encoding="utf-8") as handle:
        header, example = list(csv.reader(handle))[:2]
    names = [c.name for c in SHEETS[kind]]
    assert header == names and len(example) == len(names)
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    for name in names:
        pair = name.endswith("_en") and f"`{name[:-3]}_sv`, `_en`" in readme
        assert f"`{name}`" in readme or pair, f"mappings/templates/README.md does not explain {name}"


def test_template_imports_end_to_end_and_plans_a_gap(tmp_path: Path) -> None:
    store = tmp_path / "store"
    done = run("import", *map(str, TEMPLATE_FILES), "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert "1 credential" in done.stdout and "import/credentials" in done.stdout
    assert "new competence competence:saker-forflyttning-med-lyfthjalpmedel" in done.stdout
    gap = run("gap", "--store", str(store), "--target", "role:forflyttningsombud")
    assert gap.returncode == 0, gap.stderr
    assert '"credential": "https://w3id.org/mikromerit/id/credential/forflyttning-01"' in gap.stdout
    assert '"totalWorkloadHours": 16.0' in gap.stdout and '"unbridgeable": []' in gap.stdout
    query = run("query", "credentials-by-life-area", "--param", "lifeArea=ibic:d4", "--store", str(store))
    assert "credential:forflyttning-01" in query.stdout


def test_template_passes_strict_shacl_with_no_warnings() -> None:
    report = imported(Store(), TEMPLATE_FILES)
    assert report.warnings == ()
    assert report.counts == {"credential": 1, "role": 1, "competence": 2, "organisation": 1}
    assert [n.value for n in report.notes] == ["Säker förflyttning med lyfthjälpmedel", "Skellefteå kommun"]


def test_swedish_spreadsheet_conventions() -> None:
    """Semicolons, a byte-order mark, decimal commas, Swedish names and codes in any case."""
    data = ("\ufeffcredential_id;title_sv;workload_hours;eqf;participation_form;life_areas;care_plan_sections;"
            "entry_level\nsv-1;Svensk rad;7,5;EQF 4;på plats;kommunikation | D5;Uppföljning|mål;sfi kurs c\n")
    store = Store()
    sheets = read_bytes("svenska.csv", data.encode("utf-8"))
    report = import_catalogue(store, sheets, default_graph(sheets))
    objects = {(t.predicate.value[len(MM):], t.object.value) for t in store.graph_triples(report.graph)}
    assert {("workloadHours", "7.5"), ("eqfLevel", "http://data.europa.eu/snb/eqf/4"),
            ("participationForm", MM + "OnSite"), ("lifeArea", MMID + "ibic/d3"), ("lifeArea", MMID + "ibic/d5"),
            ("carePlanSection", MMID + "careplan/uppfoljning"), ("carePlanSection", MMID + "careplan/mal"),
            ("entryLevel", MMID + "sfi/C")} <= objects


def test_labels_resolve_against_the_graph_instead_of_minting(pilot_store: Store) -> None:
    report = imported(pilot_store, [TEMPLATES / "credentials.csv", TEMPLATES / "roles.csv",
                                    TEMPLATES / "competences.csv"])
    assert "organisation" not in report.counts  # Skellefteå kommun is the pilot's org:skelleftea-kommun
    body = pilot_store.select(f"SELECT ?o WHERE {{ <{MMID}credential/forflyttning-01> <{MM}awardingBody> ?o }}")
    assert [row["o"].value for row in body] == [MMID + "org/skelleftea-kommun"]


# -- the pilot in template form ---------------------------------------------------------------------

def test_pilot_csv_gives_the_turtle_pilots_triples() -> None:
    """Equal on every triple about credentials, outcomes, competences and roles but those without a column."""
    pilot = open_graph()
    turtle: set[ox.Triple] = set()
    for path in pilot_files():
        turtle |= set(pilot.graph_triples(f"{GRAPH_BASE}mappings/{path.name}"))
    store = Store()
    report = imported(store, PILOT_CSV)
    assert report.counts == {"credential": 38, "role": 6, "competence": 41, "organisation": 2} and not report.warnings
    csv_triples = set(store.graph_triples(report.graph))

    kinds = {t.subject.value for t in turtle if t.predicate.value == RDF + "type"
             and t.object.value in {MM + "MicroCredential", MM + "LearningOutcome", MM + "Competence", MM + "Role"}}
    outcomes = {t.subject.value for t in turtle if t.object == ox.NamedNode(MM + "LearningOutcome")}
    no_column = {("outcome", MM + "phase"), ("outcome", MM + "lifeArea"), ("outcome", MM + "carePlanSection"),
                 ("any", "http://www.w3.org/2004/02/skos/core#inScheme")}

    def comparable(triples: set[ox.Triple]) -> set[ox.Triple]:
        return {t for t in triples if t.subject.value in kinds and ("any", t.predicate.value) not in no_column
                and not (t.subject.value in outcomes and ("outcome", t.predicate.value) in no_column)}

    assert comparable(csv_triples) == comparable(turtle)
    orgs = {t.subject.value for t in csv_triples if t.subject.value not in kinds}
    assert orgs == {MMID + "org/skelleftea-kraft", MMID + "org/skelleftea-kommun"}


# -- errors -----------------------------------------------------------------------------------------

ERRORS = Path(__file__).parent / "data" / "import" / "errors.csv"
EXPECTED = {
    (3, "life_areas", "d1–d9"), (4, "eqf", "levels 1 to 8"), (5, "workload_hours", "not a number"),
    (6, "prerequisites", "did you mean 'ok-01'"), (7, "title_sv", "missing title"),
    (8, "participation_form", "OnSite, Online, Blended or WorkBased"), (9, "issuer_country", "e.g. SWE"),
    (9, "pass_threshold", "percentage from 0 to 100"), (9, "outcome_knowledge_en", "2 English outcome(s) for 1"),
}


def test_every_error_is_reported_with_its_row_and_column(pilot_store: Store) -> None:
    with pytest.raises(CatalogueInvalid) as caught:
        imported(pilot_store, [ERRORS])
    found = {(i.row, (i.column or "").split(" (")[0]) for i in caught.value.issues}
    assert found == {(row, column) for row, column, _ in EXPECTED}
    for row, column, words in EXPECTED:
        issue = next(i for i in caught.value.issues if i.row == row and i.column.startswith(column + " ("))
        assert words in issue.message and issue.file == str(ERRORS), issue.text()


def test_cli_lists_every_error_exits_1_and_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run("import", *map(str, TEMPLATE_FILES), "--store", str(store)).returncode == 0
    before = dump_of(store)
    done = run("import", str(ERRORS), "--store", str(store))
    assert done.returncode == 1
    assert "9 error(s)" in done.stderr and "nothing was imported" in done.stderr
    for row, column, _ in EXPECTED:
        assert re.search(rf"errors\.csv, row {row}, column {column} \([A-Z]+\): ", done.stderr), (row, column)
    assert dump_of(store) == before


def test_failed_import_leaves_the_store_byte_for_byte_unchanged(pilot_store: Store) -> None:
    imported(pilot_store, TEMPLATE_FILES)
    before = pilot_store.dump()
    with pytest.raises(CatalogueInvalid):
        imported(pilot_store, [ERRORS], graph=graph_for("credentials.csv"))
    assert pilot_store.dump() == before


def test_prerequisite_circles_and_unknown_columns_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "circle.csv"
    path.write_text("credential_id,title_sv,prerequisites,titel_en\na,A,b,\nb,B,a,\n", encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as caught:
        imported(Store(), [path])
    messages = [i.text() for i in caught.value.issues]
    assert any("unknown column 'titel_en'" in m and "did you mean 'title_en'" in m for m in messages)
    assert any("go round in a circle (credential:a → credential:b → credential:a)" in m for m in messages)


@pytest.mark.parametrize("name,data,words", [
    ("latin1.csv", "credential_id,title_sv\nx,Sjuksköterska\n".encode("latin-1"), "is not UTF-8"),
    ("nothing.csv", b"title_sv,title_en\nA,B\n", "needs exactly one of credential_id, role_id, competence_id"),
    ("catalogue.ods", b"...", "use .csv or .xlsx"),
    ("catalogue.xlsx", b"not a zip", "is not an XLSX workbook"),
])
def test_unreadable_files_are_refused(name: str, data: bytes, words: str) -> None:
    with pytest.raises(CatalogueUnreadable, match=words):
        read_bytes(name, data)


def test_cli_exit_2_for_an_unreadable_file_or_a_bad_graph(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"title_sv\nA\n")
    done = run("import", str(bad))
    assert done.returncode == 2 and f"{bad}: cannot tell what this sheet holds" in done.stderr
    done = run("import", str(TEMPLATE_FILES[0]), "--graph", "not-an-iri")
    assert done.returncode == 2 and "--graph" in done.stderr


# -- replacing, dry runs, XLSX ----------------------------------------------------------------------

SMALL = Path(__file__).parent / "data" / "import"


def test_reimport_replaces_the_graph_so_removed_rows_disappear(tmp_path: Path) -> None:
    store = Store()
    first = imported(store, [SMALL / "small-credentials.csv", SMALL / "small-roles.csv"])
    assert first.graph == GRAPH_BASE + "import/small-credentials"
    assert {MMID + f"credential/svets-0{n}" for n in (1, 2, 3)} <= credentials(store)
    shorter = tmp_path / "small-credentials.csv"
    lines = (SMALL / "small-credentials.csv").read_text(encoding="utf-8").splitlines()
    shorter.write_text("\n".join(line for line in lines if not line.startswith("svets-03")), encoding="utf-8")
    imported(store, [shorter, SMALL / "small-roles.csv"])
    assert MMID + "credential/svets-03" not in credentials(store)
    assert {MMID + "credential/svets-01", MMID + "credential/svets-02"} <= credentials(store)
    assert not bool(store.query(f"ASK {{ <{MMID}competence/rostfri-svetsning> ?p ?o }}"))


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    done = run("import", *map(str, TEMPLATE_FILES), "--store", str(store), "--dry-run")
    assert done.returncode == 0 and "checked (nothing written)" in done.stdout
    assert b"forflyttning-01" not in dump_of(store)


def _workbook(path: Path, sources: list[Path]) -> None:
    """Write CSV sheets into one XLSX workbook, numbers as numbers (as a spreadsheet program would)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for source in sources:
        sheet = book.create_sheet(source.stem)
        for row in csv.reader(io.StringIO(source.read_text(encoding="utf-8"))):
            sheet.append([int(c) if c.isdigit() else float(c) if re.fullmatch(r"\d+\.\d+", c) else c for c in row])
    book.create_sheet("instructions").append(["ignored by the importer"])
    book.save(path)


def test_xlsx_gives_the_same_graph_as_csv(tmp_path: Path) -> None:
    workbook = tmp_path / "catalogue.xlsx"
    _workbook(workbook, TEMPLATE_FILES)
    graph = GRAPH_BASE + "import/same"
    from_csv, from_xlsx = Store(), Store()
    imported(from_csv, TEMPLATE_FILES, graph)
    imported(from_xlsx, [workbook], graph)
    assert set(from_xlsx.graph_triples(graph)) == set(from_csv.graph_triples(graph)) != set()


def test_ten_thousand_rows_import(tmp_path: Path) -> None:
    """A generated 10 000-row catalogue goes through (its timing is reported, not asserted)."""
    path = tmp_path / "bulk.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, [c.name for c in SHEETS["credentials"]])
        writer.writeheader()
        for i in range(10_000):
            writer.writerow({"credential_id": f"bulk-{i:05d}", "title_sv": f"Kurs {i}", "title_en": f"Course {i}",
                             "awarding_body": "Bulkskolan", "issuer_country": "SWE", "assessment_type_sv": "Prov",
                             "participation_form": "Online", "quality_assurance_sv": "Intern granskning",
                             "eqf": 1 + i % 8, "workload_hours": 8 + i % 40, "teaches": f"Kompetens {i % 500}",
                             "prerequisites": f"bulk-{i - 1:05d}" if i % 10 else "",
                             "outcome_knowledge_sv": f"Kan förklara {i}", "outcome_skills_sv": f"Kan utföra {i}",
                             "outcome_responsibility_sv": f"Kan ta ansvar för {i}"})
    store = Store()
    seen: list[tuple[str, int, int]] = []
    sheets = read_files([path])
    report = import_catalogue(store, sheets, default_graph(sheets), progress=lambda *step: seen.append(step))
    assert report.counts == {"credential": 10_000, "competence": 500, "organisation": 1}
    assert len(credentials(store)) == 10_000
    assert {phase for phase, _, _ in seen} == {"checking rows", "SHACL check", "writing"}
    assert ("SHACL check", 40_501, 40_501) in seen


def test_progress_bar_only_on_a_terminal_for_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    with console._bar(10_000) as progress:
        assert progress is None  # pytest's stderr is no terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with console._bar(console.BAR_FROM_ROWS - 1) as progress:
        assert progress is None
    with console._bar(console.BAR_FROM_ROWS) as progress:
        progress("checking rows", 250, 500)
        progress("checking rows", 500, 500)


# -- HTTP -------------------------------------------------------------------------------------------

@pytest.fixture
def client() -> TestClient:
    """The app over the pilot graph with a write token."""
    return TestClient(create_app(Settings(sparql_token=TOKEN), open_graph()))


def _files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (path.name, path.read_bytes(), "text/csv")) for path in TEMPLATE_FILES]


def test_post_catalogue_without_token_is_401_and_changes_nothing(client: TestClient) -> None:
    before = client.app.state.store.dump()
    reply = client.post("/api/catalogues", files=_files())
    assert reply.status_code == 401 and reply.json()["error"] == "unauthorized"
    assert client.app.state.store.dump() == before


def test_post_catalogue_with_token_is_201_and_lists_the_new_credentials(client: TestClient) -> None:
    assert client.get("/api/credentials", params={"q": "lyfthjälpmedel"}).json() == []
    reply = client.post("/api/catalogues", files=_files(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["graph"] == GRAPH_BASE + "import/credentials"
    assert reply.json()["counts"] == {"credential": 1, "role": 1, "competence": 2}
    listed = client.get("/api/credentials", params={"q": "lyfthjälpmedel"}).json()
    assert [c["iri"] for c in listed] == [MMID + "credential/forflyttning-01"]


def test_post_catalogue_with_errors_is_422_with_every_issue(client: TestClient) -> None:
    before = client.app.state.store.dump()
    reply = client.post("/api/catalogues?name=errors.csv", content=ERRORS.read_bytes(),
                        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv"})
    assert reply.status_code == 422
    issues = reply.json()["issues"]
    assert {(i["row"], i["column"].split(" (")[0]) for i in issues} == {(r, c) for r, c, _ in EXPECTED}
    assert all(i["file"] == "errors.csv" for i in issues)
    assert client.app.state.store.dump() == before


def test_post_catalogue_refuses_other_content_types(client: TestClient) -> None:
    reply = client.post("/api/catalogues", content=b"{}", headers={"Authorization": f"Bearer {TOKEN}",
                                                                    "Content-Type": "application/json"})
    assert reply.status_code == 415 and "text/csv" in reply.json()["message"]
