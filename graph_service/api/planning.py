"""Gap, ladder and coverage routes: the counsellor's and curriculum designer's questions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from ..namespaces import MMID, expand
from ..schemas import CoverageAnswer, ErrorBody, GapAnswer, GapRequest, LadderAnswer, ReachableAnswer
from .deps import LanguageParam, accepts_gzip, json_response, language, planning_lane, service_of

router = APIRouter(prefix="/api", tags=["planning"])
_ERRORS = {422: {"model": ErrorBody, "description": "unknown IRI, an IRI of the wrong kind, or malformed input"},
           400: {"model": ErrorBody, "description": "the body is not valid JSON"}}


@router.post("/gap", response_model=GapAnswer, responses=_ERRORS, summary="What a person misses, and the cheapest plan")
@planning_lane
def gap(question: GapRequest, request: Request, lang: LanguageParam = None) -> Response:
    """Missing competences for the target role, what no credential can bridge, and the
    minimum-workload set of credentials that closes the rest, in study order."""
    answer = service_of(request).gap([expand(h) for h in question.holds], expand(question.target),
                                     language(request, lang))
    return json_response(answer)


@router.get("/ladder", response_model=LadderAnswer, response_model_by_alias=True,
            responses={**_ERRORS, 404: {"model": ErrorBody, "description": "no chain of roles leads there"}},
            summary="The career ladder between two roles, with a plan per step")
@planning_lane
def ladder(
    request: Request,
    source: Annotated[str, Query(alias="from", min_length=1, description="IRI of the role to start from",
                                 examples=[MMID + "role/vardbitrade", MMID + "role/drifttekniker"])],
    to: Annotated[str, Query(min_length=1, description="IRI of the role to reach",
                             examples=[MMID + "role/underskoterska", MMID + "role/validerare"])],
    holds: Annotated[list[str], Query(description="IRIs the person holds besides the start role",
                                      examples=[[MMID + "credential/vk-01"]])] = [],
    lang: LanguageParam = None,
) -> Response:
    """The shortest chain of roles along mm:nextRole, each step with what it newly requires."""
    answer = service_of(request).ladder(expand(source), expand(to), [expand(h) for h in holds], language(request, lang))
    return json_response(answer)


@router.get("/ladder/reachable", response_model=ReachableAnswer, response_model_by_alias=True, responses=_ERRORS,
            summary="Every role reachable from a role")
@planning_lane
def reachable(
    request: Request,
    source: Annotated[str, Query(alias="from", min_length=1, description="IRI of the role to start from",
                                 examples=[MMID + "role/drifttekniker"])],
    lang: LanguageParam = None,
) -> Response:
    """All roles reachable from one role along mm:nextRole, however many steps away."""
    return json_response(service_of(request).reachable(expand(source), language(request, lang)))


@router.get("/coverage", response_model=CoverageAnswer, summary="Where demand has credentials and where it has none")
def coverage(request: Request, lang: LanguageParam = None,
             accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None) -> Response:
    """Per role requirement, IBIC life area and care-plan section: the credentials that cover it.

    The answer is sent as the service caches it, already serialised (megabytes at 1 000 roles)
    and, for clients that accept it, already gzipped (17× fewer bytes).
    """
    service, lang = service_of(request), language(request, lang)
    headers = {"Vary": "Accept-Encoding, Accept-Language"}
    if accepts_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        return Response(service.coverage_json(lang, compressed=True), media_type="application/json", headers=headers)
    return Response(service.coverage_json(lang), media_type="application/json", headers=headers)
