"""POST /api/catalogues: import a catalogue spreadsheet (CSV or XLSX) into its own named graph, behind the write token.

The same import as ``graph-service import``: all or nothing, every error listed with its row
and column (422), the graph replaced as a unit on re-import (201).
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..importers import (XLSX_MEDIA, CatalogueInvalid, CatalogueUnreadable, Issue, Sheet, check_graph, default_graph,
                         import_catalogue, read_bytes, read_csv, read_xlsx)
from ..schemas import ErrorBody
from ..sparql_protocol import ProtocolError
from ..store import Store
from .access import check_write_access, protocol_error, write_lock
from .deps import store_of
from .sparql import changed

router = APIRouter(prefix="/api", tags=["catalogues"])
_MEDIA = ("text/csv", XLSX_MEDIA, "multipart/form-data")
_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}
_BODY = {"requestBody": {"required": True, "description": "one CSV sheet, one XLSX workbook, or several files as "
                                                          "multipart/form-data (field name free)",
                         "content": {"text/csv": {"schema": {"type": "string"}},
                                     XLSX_MEDIA: {"schema": {"type": "string", "format": "binary"}},
                                     "multipart/form-data": {"schema": {"type": "object",
                                                                        "properties": {"file": _FILES}}}}}}


class CatalogueIssue(BaseModel):
    """One problem in a catalogue: file (and sheet), row, column, the value found and what would be right."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str


class ImportAnswer(BaseModel):
    """An import that went through (or a dry run): the graph, counts per kind, new names and strict-mode findings."""

    graph: str
    written: bool = Field(description="false for a dry run")
    counts: dict[str, int] = Field(description="resources the catalogue describes, per kind")
    notes: list[CatalogueIssue] = Field(description="competences, organisations and sectors it made new")
    warnings: list[CatalogueIssue] = Field(description="strict SHACL mode findings: EU standard elements missing")


class ImportRefusal(ErrorBody):
    """A catalogue with errors: every one of them; nothing was changed."""

    issues: list[CatalogueIssue]
    notes: list[CatalogueIssue]
    warnings: list[CatalogueIssue]


def _issues(issues: tuple[Issue, ...]) -> list[CatalogueIssue]:
    return [CatalogueIssue(file=i.file, row=i.row, column=i.column, value=i.value, message=i.message) for i in issues]


def _parts(body: bytes, content_type: str) -> list[Sheet]:
    """The sheets of each file of a multipart/form-data body, read by file name (or the part's type).

    :raises ProtocolError: 400 for a body without file parts.
    """
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts:
        raise ProtocolError(400, "the multipart/form-data body has no parts: send each sheet as a file, "
                                 "e.g. curl -F file=@credentials.csv -F file=@roles.csv")
    sheets: list[Sheet] = []
    for number, part in enumerate(parts, start=1):
        name = part.get_filename() or f"part-{number}{'.xlsx' if part.get_content_type() == XLSX_MEDIA else '.csv'}"
        sheets += read_bytes(name, part.get_payload(decode=True) or b"")
    return sheets


def _sheets(body: bytes, content_type: str | None, name: str | None) -> list[Sheet]:
    """Read the request body as sheets by its Content-Type.

    :raises ProtocolError: 415 for another content type.
    :raises CatalogueUnreadable: for a body that cannot be read as its type.
    """
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return _parts(body, content_type or "")
    if media == "text/csv":
        return [read_csv(name or "catalogue.csv", body)]
    if media == XLSX_MEDIA:
        return read_xlsx(name or "catalogue.xlsx", body)
    raise ProtocolError(415, f"send the catalogue as {' or '.join(_MEDIA)}, not {media or 'a body without type'}")


def _bad(field: str, value: object, message: str) -> JSONResponse:
    body = ErrorBody(error="unreadable_catalogue" if field == "body" else "bad_input", field=field, value=value,
                     message=message)
    return JSONResponse(status_code=400, content=body.model_dump(mode="json"))


def _import(request: Request, body: bytes, content_type: str | None, authorization: str | None,
            name: str | None, graph: str | None, dry_run: bool) -> Response:
    """Check the token, read the sheets, import them under the write lock, then refresh the caches."""
    try:
        check_write_access(request, authorization)
        store = store_of(request)
        if not isinstance(store, Store):
            raise ProtocolError(501, "catalogues are imported into the embedded store only: over an external "
                                     "endpoint, import into a store directory and load it with graph-service load")
        sheets = _sheets(body, content_type, name)
        target = check_graph(graph) if graph is not None else default_graph(sheets)
    except ProtocolError as err:
        return protocol_error(err)
    except CatalogueUnreadable as err:
        return _bad("body", err.path, str(err))
    except ValueError as err:
        return _bad("graph", graph, str(err))
    with write_lock(request):
        try:
            report = import_catalogue(store, sheets, target, dry_run=dry_run)
        except CatalogueInvalid as err:
            refusal = ImportRefusal(error="invalid_catalogue", field="body", value=None, message=str(err),
                                    issues=_issues(err.issues), notes=_issues(err.notes),
                                    warnings=_issues(err.warnings))
            return JSONResponse(status_code=422, content=refusal.model_dump(mode="json"))
        if report.written:
            changed(request)
    answer = ImportAnswer(graph=report.graph, written=report.written, counts=report.counts,
                          notes=_issues(report.notes), warnings=_issues(report.warnings))
    return JSONResponse(status_code=201 if report.written else 200, content=answer.model_dump(mode="json"),
                        headers={"Location": f"/graph-store?graph={quote(report.graph, safe='')}"})


@router.post("/catalogues", status_code=201, response_model=ImportAnswer, summary="Import a catalogue (CSV or XLSX)",
             openapi_extra=_BODY,
             responses={200: {"model": ImportAnswer, "description": "dry run: checked, nothing written"},
                        400: {"model": ErrorBody, "description": "a file that cannot be read, or a bad graph IRI"},
                        401: {"model": ErrorBody, "description": "no bearer token"},
                        403: {"model": ErrorBody, "description": "a wrong token, or writes disabled"},
                        415: {"model": ErrorBody, "description": "not CSV, XLSX or multipart/form-data"},
                        422: {"model": ImportRefusal | ErrorBody,
                              "description": "the catalogue has errors (nothing changed), or a bad query parameter"},
                        501: {"model": ErrorBody, "description": "the server runs over an external SPARQL endpoint"}})
async def post_catalogue(
    request: Request,
    content_type: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
    name: Annotated[str | None, Query(description="file name of a text/csv or XLSX body: named in errors and in the "
                                                  "default graph IRI")] = None,
    graph: Annotated[str | None, Query(description="the named graph to replace (default: "
                                                   "https://w3id.org/mikromerit/graph/import/<file stem>)")] = None,
    dryRun: Annotated[bool, Query(description="check everything, write nothing")] = False,
) -> Response:
    """Import catalogue sheets (text/csv, XLSX, or files in multipart/form-data) with the bearer token."""
    body = await request.body()
    return await run_in_threadpool(_import, request, body, content_type, authorization, name, graph, dryRun)
