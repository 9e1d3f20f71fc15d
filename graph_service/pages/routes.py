"""The HTML pages: the path finder (/), the gap explorer (/explore) and credential pages (/credential/<code>)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ..api.deps import service_of, settings_of
from .credential import credential_view
from .explorer import explore, filter_value
from .i18n import Translator
from .pathfinder import PageInputError, Vocabulary, answer, examples, resolve_holds, resolve_target
from .render import STATIC, Links, page_language, render
from .sparql_editor import router as sparql_editor_router

router = APIRouter(tags=["pages"])
router.include_router(sparql_editor_router)
LangParam = Annotated[str | None, Query(description="page language, sv or en (overrides Accept-Language; "
                                                    "default Swedish)")]
_UNUSABLE = {"description": "input the page cannot use, explained on the page", "content": {"text/html": {}}}
_PAGE = {"response_class": HTMLResponse, "responses": {422: _UNUSABLE}}
_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _canonical_target(vocabulary: Vocabulary, target: str | None) -> str | None:
    """The target as the URL should say it: a prefixed name when it names something, None when empty."""
    if target is None or not target.strip():
        return None
    iri = vocabulary.resolve(target)
    return vocabulary.items[iri].value if iri else target.strip()


@router.get("/", summary="Path finder: the plan from what a person holds to a target role", **_PAGE)
def path_finder(
    request: Request,
    holds: Annotated[list[str], Query(description="what the person holds: credential, competence or role, as IRI, "
                                                  "prefixed name or label; repeat for several")] = [],
    target: Annotated[str | None, Query(description="the target role (IRI, prefixed name or label)")] = None,
    lang: LangParam = None,
) -> Response:
    """For counsellors: the career ladder, the missing competences, the plan and what nothing can bridge."""
    language = page_language(request, lang)
    t, service = Translator(language), service_of(request)
    vocabulary = Vocabulary(service)
    held, unknown = resolve_holds(vocabulary, holds)
    canonical = [item.value for item in held]
    goal = _canonical_target(vocabulary, target)
    if not unknown and (canonical != holds or goal != target):
        # a label or an empty field in the URL: send the browser to the address worth bookmarking
        links = Links(settings_of(request), language)
        return RedirectResponse(links.page("/", holds=canonical, target=goal), status_code=303)
    context = {"vocabulary": vocabulary, "held": held, "target_value": target or "", "error": None, "result": None,
               "typed": unknown[0] if unknown else "", "examples": examples(service, vocabulary, language),
               "suggestions": vocabulary.matches(unknown[0]) if unknown else []}
    status = 200
    try:
        if unknown:
            raise PageInputError(t("error_unknown_hold", value=unknown[0]))
        if target:
            goal_item = resolve_target(vocabulary, target, t)
            context["target_value"] = goal_item.value
            context["result"] = answer(service, held, goal_item, language)
    except PageInputError as err:
        context["error"], status = str(err), 422
    title = t("path_title")
    if context["result"] is not None:
        title = f"{context['result'].target.label(language)} – {title}"
    return render(request, "pathfinder.html", language, status=status, title=title, **context)


@router.get("/explore", summary="Gap explorer: heat maps of coverage and the demand no credential meets",
            response_class=HTMLResponse)
def gap_explorer(
    request: Request,
    sector: Annotated[str | None, Query(description="only credentials (and roles) of this sector, IRI or prefixed "
                                                    "name")] = None,
    eqf: Annotated[str | None, Query(description="only credentials at this EQF level, e.g. eqf:4")] = None,
    lang: LangParam = None,
) -> Response:
    """For curriculum designers: roles × required competences and IBIC life areas × care-plan sections."""
    language = page_language(request, lang)
    chosen_sector, chosen_eqf = filter_value(sector), filter_value(eqf)
    result = explore(service_of(request), language, chosen_sector, chosen_eqf)
    return render(request, "explore.html", language, title=Translator(language)("explore_title"), result=result,
                  sector=chosen_sector, eqf=chosen_eqf)


@router.get("/credential/{code}", summary="One credential: EU standard elements, outcomes, levels and links",
            response_class=HTMLResponse,
            responses={404: {"description": "no credential with that code", "content": {"text/html": {}}}})
def credential_page(
    request: Request,
    code: Annotated[str, Path(description="the credential's code, the last part of its IRI, e.g. vk-01")],
    lang: LangParam = None,
) -> Response:
    """A credential with its outcomes by dimension, levels, life areas, prerequisites and what it leads to."""
    language = page_language(request, lang)
    settings = settings_of(request)
    t = Translator(language)
    view = credential_view(service_of(request), settings.linked_data_base + "credential/" + code, language)
    if view is None:
        return render(request, "not_found.html", language, status=404, title=t("credential_not_found", code=code),
                      code=code)
    return render(request, "credential.html", language, title=view.title, view=view)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The pages' own stylesheet and images (no CDN: everything is served from here)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in _STATIC_TYPES:
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(path, media_type=_STATIC_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=3600"})
