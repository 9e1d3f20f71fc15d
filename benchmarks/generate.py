"""A seeded synthetic catalogue in the contract's core vocabulary, for benchmarks at scale.

S roles in ladders of 3–6 steps; each role requires 8–20 competences (a third kept from the
step below, as real ladders do); 10 competences per role, each taught by 1–3 credentials of
8–60 hours with three learning outcomes (one per dimension); a third of the credentials have
1–3 prerequisites among the 200 before them. ≈ 450 triples per role: S = 100 / 1 000 / 10 000
gives ≈ 45 k / 0.45 M / 4.5 M triples. Same seed, same file.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Iterator, TextIO

MM = "https://w3id.org/mikromerit/ns#"
BASE = "https://w3id.org/mikromerit/synthetic/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"


def _iri(kind: str, n: int) -> str:
    return f"<{BASE}{kind}/{n}>"


def _mm(name: str) -> str:
    return f"<{MM}{name}>"


def generate(roles: int, seed: int = 42) -> Iterator[str]:
    """N-Triples lines of a synthetic catalogue with `roles` roles."""
    rng = random.Random(seed)
    competences = roles * 10
    credential = 0
    teachers: dict[int, list[int]] = {}
    for c in range(competences):
        yield f"{_iri('competence', c)} {TYPE} {_mm('Competence')} ."
        yield f'{_iri("competence", c)} {LABEL} "Kompetens {c}"@sv .'
        yield f'{_iri("competence", c)} {LABEL} "Competence {c}"@en .'
        teachers[c] = []
        for _ in range(rng.randint(1, 3)):
            teachers[c].append(credential)
            credential += 1
    owner = {cred: c for c, creds in teachers.items() for cred in creds}
    for cred in range(credential):
        node = _iri("credential", cred)
        yield f"{node} {TYPE} {_mm('MicroCredential')} ."
        yield f'{node} {LABEL} "Mikromerit {cred}"@sv .'
        yield f'{node} {LABEL} "Micro-credential {cred}"@en .'
        yield f"{node} {_mm('teaches')} {_iri('competence', owner[cred])} ."
        if rng.random() < 0.2:
            yield f"{node} {_mm('teaches')} {_iri('competence', rng.randrange(competences))} ."
        yield f'{node} {_mm("workloadHours")} "{rng.choice([8, 12, 16, 24, 32, 40, 60])}"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
        yield f"{node} {_mm('eqfLevel')} <http://data.europa.eu/snb/eqf/{rng.randint(2, 6)}> ."
        for letter, dimension in (("k", "Knowledge"), ("s", "Skills"), ("r", "ResponsibilityAutonomy")):
            outcome = f"<{BASE}outcome/{cred}-{letter}>"
            yield f"{node} {_mm('learningOutcome')} {outcome} ."
            yield f"{outcome} {TYPE} {_mm('LearningOutcome')} ."
            yield f"{outcome} {_mm('dimension')} {_mm(dimension)} ."
            yield f'{outcome} {LABEL} "Den studerande kan moment {letter} i mikromerit {cred}."@sv .'
        if cred > 10 and rng.random() < 0.33:
            for _ in range(rng.randint(1, 3)):
                yield f"{node} {_mm('prerequisite')} {_iri('credential', rng.randrange(max(0, cred - 200), cred))} ."
    role = 0
    while role < roles:
        steps = min(rng.randint(3, 6), roles - role)
        required: set[int] = set()
        for step in range(steps):
            node = _iri("role", role)
            keep = set(rng.sample(sorted(required), len(required) // 3)) if required else set()
            required = keep | {rng.randrange(competences) for _ in range(rng.randint(8, 20) - len(keep))}
            yield f"{node} {TYPE} {_mm('Role')} ."
            yield f'{node} {LABEL} "Roll {role}"@sv .'
            yield f'{node} {LABEL} "Role {role}"@en .'
            yield from (f"{node} {_mm('requiresCompetence')} {_iri('competence', c)} ." for c in sorted(required))
            if step + 1 < steps:
                yield f"{node} {_mm('nextRole')} {_iri('role', role + 1)} ."
            role += 1


def write(roles: int, out: TextIO, seed: int = 42) -> int:
    """Write the catalogue and return its number of triples."""
    count = 0
    for line in generate(roles, seed):
        out.write(line + "\n")
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roles", type=int, help="number of roles (S)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="N-Triples file (default: stdout)")
    args = parser.parse_args()
    if args.out:
        with args.out.open("w", encoding="utf-8") as out:
            count = write(args.roles, out, args.seed)
    else:
        count = write(args.roles, sys.stdout, args.seed)
    print(f"{count} triples", file=sys.stderr)


if __name__ == "__main__":
    main()
