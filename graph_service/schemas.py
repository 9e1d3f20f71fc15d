"""Typed answers shared by the HTTP API and the CLI (the CLI prints the same JSON).

Field names follow the public contract (camelCase: ``workloadHours``, ``totalWorkloadHours``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from .namespaces import MMID


class GapRequest(BaseModel):
    """What a person holds (credential, competence or role IRIs) and the role they aim for."""

    holds: list[str] = Field(default_factory=list, description="IRIs of credentials, competences and roles held",
                             examples=[[MMID + "credential/vk-01"], [MMID + "role/vardbitrade"]])
    target: str = Field(min_length=1, description="IRI of the target role",
                        examples=[MMID + "role/drifttekniker", MMID + "role/underskoterska"])


class PlanStep(BaseModel):
    """One credential of a plan, in study order."""

    credential: str
    label: str | None
    workloadHours: float
    covers: list[str] = Field(description="missing competences this credential gives (sorted)")
    prerequisites: list[str] = Field(description="its prerequisites, held or planned earlier (sorted)")


class GapAnswer(BaseModel):
    """The contract's gap answer, plus what was held and why some gaps cannot be bridged."""

    target: str
    missing: list[str]
    unbridgeable: list[str]
    plan: list[PlanStep]
    totalWorkloadHours: float
    optimal: bool
    held: list[str] = Field(description="competences held (sorted)")
    unbridgeableReasons: dict[str, str] = Field(description="why each unbridgeable competence cannot be given")
    labels: dict[str, str] = Field(description="labels, in the language asked for, of every IRI in the answer")


class LadderStep(BaseModel):
    """One step up the ladder: the role, what it newly requires, and the plan that bridges it."""

    role: str
    label: str | None
    newlyRequired: list[str]
    gap: GapAnswer


class LadderAnswer(BaseModel):
    """The shortest chain of roles from one role to another, with a plan per step."""

    source: str = Field(alias="from")
    to: str
    roles: list[str]
    steps: list[LadderStep]
    totalWorkloadHours: float
    optimal: bool
    labels: dict[str, str]

    model_config = {"populate_by_name": True}


class ReachableAnswer(BaseModel):
    """Every role reachable from one role along mm:nextRole."""

    source: str = Field(alias="from")
    roles: list[str] = Field(description="reachable roles (sorted), not including the start")
    labels: dict[str, str]

    model_config = {"populate_by_name": True}


class CoverageCell(BaseModel):
    """A piece of demand (a role requirement, a life area, a plan section) and what covers it."""

    iri: str
    label: str | None
    credentials: list[str]


class RoleCoverage(BaseModel):
    """A role's requirements, each with the credentials that teach it, and the covered share."""

    role: str
    label: str | None
    requirements: list[CoverageCell]
    covered: int
    total: int
    share: float = Field(description="covered / total, 1.0 for a role that requires nothing")


class CoverageAnswer(BaseModel):
    """Where demand has credentials and where it has none."""

    roles: list[RoleCoverage]
    lifeAreas: list[CoverageCell]
    carePlanSections: list[CoverageCell]
    uncovered: list[CoverageCell] = Field(description="every piece of demand no credential covers")
    labels: dict[str, str]


class CredentialSummary(BaseModel):
    """A credential as listed when browsing."""

    iri: str
    label: str | None
    workloadHours: float | None
    ects: float | None
    eqfLevel: str | None
    seqfLevel: str | None
    sector: list[str]
    lifeAreas: list[str]
    carePlanSections: list[str]
    teaches: list[str]
    prerequisites: list[str]
    passThreshold: float | None
    illustrative: bool


class ConceptSummary(BaseModel):
    """A role or competence as listed when browsing."""

    iri: str
    label: str | None
    links: dict[str, list[str]] = Field(description="related IRIs by relation, e.g. requires, nextRole, taughtBy")


class Statement(BaseModel):
    """One statement about a resource, from it ('out') or to it ('in')."""

    direction: str
    property: str
    value: str
    isIri: bool
    label: str | None = None
    lang: str | None = None


class ResourceView(BaseModel):
    """Everything the graph says about one IRI, with labels."""

    iri: str
    label: str | None
    types: list[str]
    statements: list[Statement]


class ErrorBody(BaseModel):
    """A 4xx answer: what was wrong, in which field, with which value."""

    error: str
    field: str | None = None
    value: object | None = None
    message: str
