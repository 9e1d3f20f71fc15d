"""Benchmark `graph-service import` on a generated 10 000-row catalogue, in memory and into a --store directory.

Goal (issue 7): 10 000 credential rows import "in seconds" both ways. The catalogue fills
every column of the CSV templates (mappings/templates/) so every shape and reader is
exercised. Run with ``make bench``; the markdown table goes to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graph_service.importers.columns import SHEETS

ROWS = 10_000
COMPETENCES = 500
ROLES = 50
EXE = Path(sys.executable).with_name("graph-service")


def _credential(i: int) -> dict[str, object]:
    """One credential row with every template column filled."""
    return {
        "credential_id": f"bulk-{i:05d}", "title_sv": f"Kurs {i}", "title_en": f"Course {i}",
        "awarding_body": f"Skola {i % 20}", "issuer_country": "SWE", "issuer_region": "Västerbottens län",
        "assessment_type_sv": "Skriftligt prov", "assessment_type_en": "Written test",
        "participation_form": ("OnSite", "Online", "Blended", "WorkBased")[i % 4],
        "quality_assurance_sv": "Intern granskning", "quality_assurance_en": "Internal review",
        "supervision_sv": "Provet görs under uppsikt.", "supervision_en": "The test is supervised.",
        "stackability_sv": "Fristående.", "stackability_en": "Stand-alone.",
        "stackable_towards": f"bulk-role-{i % ROLES:02d}",
        "further_information_sv": "Se kursplanen.", "further_information_en": "See the syllabus.",
        "eqf": 1 + i % 8, "seqf": 1 + i % 8, "entry_level": "SFI D", "workload_hours": 8 + i % 40,
        "ects": f"{(8 + i % 40) / 27:.1f}",
        "teaches": f"bulk-comp-{i % COMPETENCES:03d} | bulk-comp-{(i + 7) % COMPETENCES:03d}",
        "prerequisites": f"bulk-{i - 1:05d}" if i % 10 else "",
        "life_areas": "d4 | Personlig vård", "care_plan_sections": "aktiviteter | ansvar", "pass_threshold": 80,
        "outcome_knowledge_sv": f"Kan förklara {i}", "outcome_knowledge_en": f"Can explain {i}",
        "outcome_skills_sv": f"Kan utföra {i} | Kan kontrollera {i}",
        "outcome_skills_en": f"Can perform {i} | Can check {i}",
        "outcome_responsibility_sv": f"Kan ta ansvar för {i}", "outcome_responsibility_en": f"Can take charge of {i}",
        "sector": "Vård och omsorg", "illustrative": "true", "note_sv": "Genererad.", "note_en": "Generated.",
        "source": "benchmarks/bench_import.py",
    }


def _role(i: int) -> dict[str, object]:
    """One role row requiring a few of the competences."""
    return {"role_id": f"bulk-role-{i:02d}", "label_sv": f"Roll {i}", "label_en": f"Role {i}",
            "requires": " | ".join(f"bulk-comp-{(i * 10 + k) % COMPETENCES:03d}" for k in range(5)),
            "next_roles": f"bulk-role-{i + 1:02d}" if i + 1 < ROLES else "", "ssyk": "5321",
            "sector": "Vård och omsorg", "illustrative": "true"}


def _competence(i: int) -> dict[str, object]:
    """One competence row."""
    return {"competence_id": f"bulk-comp-{i:03d}", "label_sv": f"Kompetens {i}", "label_en": f"Competence {i}",
            "illustrative": "true"}


def write_catalogue(folder: Path, rows: int = ROWS) -> list[Path]:
    """Write credentials.csv (`rows` rows), roles.csv and competences.csv with the templates' columns."""
    sheets = {"credentials": [_credential(i) for i in range(rows)], "roles": [_role(i) for i in range(ROLES)],
              "competences": [_competence(i) for i in range(COMPETENCES)]}
    paths = []
    for kind, records in sheets.items():
        path = folder / f"{kind}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, [c.name for c in SHEETS[kind]])
            writer.writeheader()
            writer.writerows(records)
        paths.append(path)
    return paths


def time_import(files: list[Path], store: Path | None) -> float:
    """Seconds the real command takes to import the files (checked only, without a store)."""
    args = [str(EXE), "import", *map(str, files)] + (["--store", str(store)] if store else [])
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"graph-service import failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    """Generate the catalogue, time each way `repeat` times, print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="credential rows to generate")
    parser.add_argument("--repeat", type=int, default=1, help="runs per way (the best is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        files = write_catalogue(folder, args.rows)
        memory = min(time_import(files, None) for _ in range(args.repeat))
        disk = min(time_import(files, folder / f"store-{n}") for n in range(args.repeat))
        again = time_import(files, folder / "store-0")
    print(f"### Import of {args.rows} credential rows ({os.cpu_count()} CPUs, whole command incl. start-up)\n")
    print("| way | seconds |\n|---|---|")
    print(f"| in memory (checked, nothing kept) | {memory:.1f} |")
    print(f"| into a new --store directory | {disk:.1f} |")
    print(f"| re-import into that store (replace) | {again:.1f} |")


if __name__ == "__main__":
    main()
