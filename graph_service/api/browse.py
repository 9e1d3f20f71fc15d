"""Browse routes: credentials with filters, roles, competences, one resource by IRI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter

from ..namespaces import expand
from ..schemas import ConceptSummary, CredentialSummary, ErrorBody, ResourceView
from .deps import Iri, LanguageParam, json_response, language, reading_lane, service_of

router = APIRouter(prefix="/api", tags=["browse"])
_CREDENTIALS = TypeAdapter(list[CredentialSummary])
_CONCEPTS = TypeAdapter(list[ConceptSummary])
IriFilter = Annotated[str | None, Query(description="an IRI or prefixed name, e.g. eqf:4, ibic:d5")]


@router.get("/credentials", response_model=list[CredentialSummary], summary="List and filter credentials")
@reading_lane
def credentials(
    request: Request,
    lang: LanguageParam = None,
    sector: IriFilter = None,
    eqf: IriFilter = None,
    seqf: IriFilter = None,
    lifeArea: IriFilter = None,
    section: IriFilter = None,
    q: Annotated[str | None, Query(description="text to find in the Swedish or English label")] = None,
) -> Response:
    """Credentials filtered by sector, EQF/SeQF level, IBIC life area, care-plan section and label text."""
    def iri(value: str | None) -> str | None:
        return expand(value) if value else None

    found = service_of(request).credentials(language(request, lang), sector=iri(sector), eqf=iri(eqf), seqf=iri(seqf),
                                            life_area=iri(lifeArea), section=iri(section), text=q)
    return json_response(_CREDENTIALS.dump_json(found, by_alias=True))


@router.get("/roles", response_model=list[ConceptSummary], summary="List roles")
@reading_lane
def roles(request: Request, lang: LanguageParam = None) -> Response:
    """Every role with the competences it requires and its neighbours on the ladder."""
    return json_response(_CONCEPTS.dump_json(service_of(request).roles(language(request, lang)), by_alias=True))


@router.get("/competences", response_model=list[ConceptSummary], summary="List competences")
@reading_lane
def competences(request: Request, lang: LanguageParam = None) -> Response:
    """Every competence with the credentials that teach it and the roles that require it."""
    found = service_of(request).competences(language(request, lang))
    return json_response(_CONCEPTS.dump_json(found, by_alias=True))


@router.get("/resource", response_model=ResourceView,
            responses={404: {"model": ErrorBody, "description": "the graph has nothing about this IRI"},
                       422: {"model": ErrorBody, "description": "not an absolute IRI or known prefixed name"}},
            summary="Everything about one IRI")
@reading_lane
def resource(request: Request,
             iri: Annotated[Iri, Query(min_length=1, description="the IRI (or prefixed name) to describe",
                                       examples=["credential:vk-01", "eqf:4"])],
             lang: LanguageParam = None) -> Response:
    """Every statement from and to one IRI, with labels of the other ends."""
    return json_response(service_of(request).resource(iri, language(request, lang)))
