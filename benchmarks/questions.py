"""The benchmark's questions: picked once with a seeded RNG, asked of every system in the same order.

Four kinds, each asked as graph-service asks it over its API and as the same SPARQL text for
the SPARQL servers and raw pyoxigraph (parameters bound by graph-service's own VALUES injection):

- lookup: one credential by IRI (GET /api/resource ↔ queries/resource-links.rq);
- ladder: the roles from one role up to another (GET /api/ladder ↔ benchmarks/queries/ladder.rq);
- gap: what holding one role misses for the next role up (POST /api/gap ↔ benchmarks/queries/gap.rq);
- coverage: which credentials cover every role requirement, life area and care-plan section
  (GET /api/coverage ↔ queries/role-requirement-credentials.rq, life-area-coverage.rq and
  care-plan-section-coverage.rq, asked one after the other as one question).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from generate import BASE, generate
from graph_service.queries import named_queries
from graph_service.sparql_text import inject_bindings

KINDS = ("lookup", "ladder", "gap", "coverage")
_OWN = Path(__file__).with_name("queries")
_COVERAGE = ("role-requirement-credentials", "life-area-coverage", "care-plan-section-coverage")


@dataclass
class Shape:
    """What the questions need to know of a generated catalogue: credentials and ladder chains."""

    credentials: int = 0
    next_role: dict[int, int] = field(default_factory=dict)

    def chains(self) -> list[list[int]]:
        """Each ladder as its roles in order (a chain has at least two roles)."""
        targets = set(self.next_role.values())
        chains = []
        for start in sorted(set(self.next_role) - targets):
            chain = [start]
            while chain[-1] in self.next_role:
                chain.append(self.next_role[chain[-1]])
            chains.append(chain)
        return chains


def write_catalogue(roles: int, out: TextIO, seed: int = 42) -> tuple[int, Shape]:
    """Write generate.py's catalogue and note its shape; return the triple count and the shape."""
    shape, count = Shape(), 0
    credential_type = f"> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/mikromerit/ns#MicroCredential> ."
    for line in generate(roles, seed):
        out.write(line + "\n")
        count += 1
        if "#nextRole>" in line:
            source, _, target, _ = line.split(" ")
            shape.next_role[int(source.rsplit("/", 1)[1][:-1])] = int(target.rsplit("/", 1)[1][:-1])
        elif line.endswith(credential_type):
            shape.credentials += 1
    return count, shape


def _role(n: int) -> str:
    return f"{BASE}role/{n}"


@dataclass(frozen=True)
class Question:
    """One question: its kind, its parameters (IRIs), and its SPARQL texts (several are asked in turn)."""

    kind: str
    params: dict[str, str]
    sparql: tuple[str, ...]

    def http(self) -> tuple[str, str, dict]:
        """graph-service's own route for it: (method, path, httpx keyword arguments)."""
        p = self.params
        if self.kind == "lookup":
            return "GET", "/api/resource", {"params": {"iri": p["resource"]}}
        if self.kind == "ladder":
            return "GET", "/api/ladder", {"params": {"from": p["from"], "to": p["to"]}}
        if self.kind == "gap":
            return "POST", "/api/gap", {"json": {"holds": [p["held"]], "target": p["target"]}}
        return "GET", "/api/coverage", {}


def _bound(name: str, params: dict[str, str]) -> str:
    """A named query (graph-service's queries/ or benchmarks/queries/) with its parameters bound."""
    query = named_queries(_OWN).get(name) or named_queries()[name]
    return inject_bindings(query.text, {k: ox.NamedNode(v) for k, v in params.items()})


def pick(shape: Shape, count: int, seed: int = 7) -> dict[str, list[Question]]:
    """`count` questions of each kind (coverage has no parameters: one question), the same for a seed."""
    rng = random.Random(seed)
    chains = shape.chains()
    questions: dict[str, list[Question]] = {k: [] for k in KINDS}
    for _ in range(count):
        params = {"resource": f"{BASE}credential/{rng.randrange(shape.credentials)}"}
        questions["lookup"].append(Question("lookup", params, (_bound("resource-links", params),)))
        chain = rng.choice(chains)
        low = rng.randrange(len(chain) - 1)
        high = rng.randrange(low + 1, len(chain))
        params = {"from": _role(chain[low]), "to": _role(chain[high])}
        questions["ladder"].append(Question("ladder", params, (_bound("ladder", params),)))
        chain = rng.choice(chains)
        low = rng.randrange(len(chain) - 1)
        params = {"held": _role(chain[low]), "target": _role(chain[low + 1])}
        questions["gap"].append(Question("gap", params, (_bound("gap", params),)))
    questions["coverage"] = [Question("coverage", {}, tuple(_bound(n, {}) for n in _COVERAGE))]
    return questions
