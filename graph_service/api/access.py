"""Write access for the SPARQL and Graph Store endpoints: a bearer token, one writer at a time."""

from __future__ import annotations

import hmac
import threading

from fastapi import Request
from fastapi.responses import JSONResponse

from ..schemas import ErrorBody
from ..sparql_protocol import ProtocolError
from .deps import settings_of

_KINDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 406: "not_acceptable",
          413: "payload_too_large", 415: "unsupported_media_type", 500: "server_error", 501: "not_implemented",
          502: "bad_gateway", 503: "timeout"}


def write_lock(request: Request) -> threading.RLock:
    """The app's lock serialising writes (a store has one writer)."""
    return request.app.state.write_lock


def check_write_access(request: Request, authorization: str | None) -> None:
    """Allow a write only with the configured bearer token.

    :raises ProtocolError: 403 when writes are disabled or the token is wrong, 401 when it is missing.
    """
    token = settings_of(request).sparql_token
    if token is None:
        raise ProtocolError(403, "writes are disabled on this server: start it with a token "
                                 "(graph-service serve --token-file FILE) to allow them")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ProtocolError(401, "writes need 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ProtocolError(403, "the bearer token is wrong")


def protocol_error(err: ProtocolError, field: str | None = None) -> JSONResponse:
    """A protocol failure as the service's JSON error body."""
    headers = {"WWW-Authenticate": 'Bearer realm="graph-service"'} if err.status == 401 else None
    body = ErrorBody(error=_KINDS.get(err.status, "error"), field=field, value=None, message=str(err))
    return JSONResponse(status_code=err.status, content=body.model_dump(mode="json"), headers=headers)
