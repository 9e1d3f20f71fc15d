"""Browse routes: credentials with filters, roles, competences, one resource by IRI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..namespaces import expand
from ..schemas import ConceptSummary, CredentialSummary, ErrorBody, ResourceView
from .deps import Iri, LanguageDep, ServiceDep

router = APIRouter(prefix="/api", tags=["browse"])
IriFilter = Annotated[str | None, Query(description="an IRI or prefixed name, e.g. eqf:4, ibic:d5")]


@router.get("/credentials", response_model=list[CredentialSummary], summary="List and filter credentials")
def credentials(
    service: ServiceDep,
    lang: LanguageDep,
    sector: IriFilter = None,
    eqf: IriFilter = None,
    seqf: IriFilter = None,
    lifeArea: IriFilter = None,
    section: IriFilter = None,
    q: Annotated[str | None, Query(description="text to find in the Swedish or English label")] = None,
) -> list[CredentialSummary]:
    """Credentials filtered by sector, EQF/SeQF level, IBIC life area, care-plan section and label text."""
    def iri(value: str | None) -> str | None:
        return expand(value) if value else None

    return service.credentials(lang, sector=iri(sector), eqf=iri(eqf), seqf=iri(seqf), life_area=iri(lifeArea),
                               section=iri(section), text=q)


@router.get("/roles", response_model=list[ConceptSummary], summary="List roles")
def roles(service: ServiceDep, lang: LanguageDep) -> list[ConceptSummary]:
    """Every role with the competences it requires and its neighbours on the ladder."""
    return service.roles(lang)


@router.get("/competences", response_model=list[ConceptSummary], summary="List competences")
def competences(service: ServiceDep, lang: LanguageDep) -> list[ConceptSummary]:
    """Every competence with the credentials that teach it and the roles that require it."""
    return service.competences(lang)


@router.get("/resource", response_model=ResourceView,
            responses={404: {"model": ErrorBody, "description": "the graph has nothing about this IRI"},
                       422: {"model": ErrorBody, "description": "not an absolute IRI or known prefixed name"}},
            summary="Everything about one IRI")
def resource(service: ServiceDep, lang: LanguageDep,
             iri: Annotated[Iri, Query(min_length=1, description="the IRI (or prefixed name) to describe",
                                       examples=["credential:vk-01", "eqf:4"])]) -> ResourceView:
    """Every statement from and to one IRI, with labels of the other ends."""
    return service.resource(iri, lang)
