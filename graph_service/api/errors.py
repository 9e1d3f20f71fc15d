"""Exception handlers: every 4xx body says what was wrong, in which field, with which value."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ..planner import NoLadderError, PlanningInputError
from ..remote import EndpointError
from ..schemas import ErrorBody
from ..service import UnknownResource

_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")


def _reply(status: int, body: ErrorBody) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))


async def _planning_input(_: Request, err: PlanningInputError) -> JSONResponse:
    status = 404 if isinstance(err, NoLadderError) else 422
    kind = "no_ladder" if status == 404 else "bad_input"
    return _reply(status, ErrorBody(error=kind, field=err.field, value=err.value, message=str(err)))


async def _unknown_resource(_: Request, err: UnknownResource) -> JSONResponse:
    return _reply(404, ErrorBody(error="not_found", field="iri", value=err.iri, message=str(err)))


async def _endpoint_failed(_: Request, err: EndpointError) -> JSONResponse:
    return _reply(502, ErrorBody(error="bad_gateway", field=None, value=None, message=str(err)))


async def _invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
    first = err.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "header")]
    if first.get("type") == "json_invalid":
        return _reply(400, ErrorBody(error="malformed_json", field="body", value=None,
                                     message=f"the request body is not valid JSON: {first.get('msg')}"))
    field = ".".join(location) or None
    value = None if first.get("type") == "missing" else first.get("input")
    message = f"{field or 'request'}: {first.get('msg')}"
    return _reply(422, ErrorBody(error="bad_input", field=field, value=value if _jsonable(value) else str(value),
                                 message=message))


async def _http_error(request: Request, err: HTTPException) -> Response:
    """Routing failures (404 no such path, 405 wrong method) as the JSON error body; a 405 lists every method."""
    if err.status_code < 400:
        return await http_exception_handler(request, err)
    headers = dict(err.headers or {})
    if err.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    kind = HTTPStatus(err.status_code).phrase.lower().replace(" ", "_")
    body = ErrorBody(error=kind, field=None, value=None, message=f"{request.method} {request.url.path}: {err.detail}")
    return JSONResponse(status_code=err.status_code, content=body.model_dump(mode="json"), headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes at the request's path (Starlette names only the first route's)."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]


def _jsonable(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(PlanningInputError, _planning_input)
    app.add_exception_handler(UnknownResource, _unknown_resource)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(EndpointError, _endpoint_failed)
    app.add_exception_handler(HTTPException, _http_error)
