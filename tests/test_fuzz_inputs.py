"""Malformed catalogues and RDF files made by Hypothesis: only the documented errors, and the store unchanged.

CSV sheets (wrong columns, broken quoting, random bytes, huge cells, other encodings, BOMs),
XLSX workbooks (cut short, bytes overwritten, zip entries spoilt, odd cell values) and
Turtle / JSON-LD / N-Triples / RDF/XML files (cut, spliced, re-encoded) go through every entry
point: the importer library, `graph-service import`, POST /api/catalogues, Store.load_file
(what `serve --data` and `load` parse with) and PUT /graph-store. A refusal must be the
documented error (CatalogueUnreadable, CatalogueInvalid, LoadError; a 4xx with the JSON error
body over HTTP, exit status 1 or 2 from the command) and must leave the store as it was
(compared with Store.dump()). GRAPH_SERVICE_SOAK=1 runs many more examples.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings, strategies as st
from openpyxl import Workbook

from graph_service import cli
from graph_service.api import create_app
from graph_service.importers import (XLSX_MEDIA, CatalogueInvalid, CatalogueUnreadable, default_graph,
                                     import_catalogue, read_bytes)
from graph_service.loading import open_graph
from graph_service.resources import resource_dir
from graph_service.settings import Settings
from graph_service.store import LoadError, Store
from soak import size

TOKEN = "fuzz-token-0123456789"
KINDS = ("credentials", "roles", "competences")
TEMPLATES = resource_dir("mappings") / "templates"
CSV_TEXT = {kind: (TEMPLATES / f"{kind}.csv").read_text(encoding="utf-8") for kind in KINDS}
MINI = Path(__file__).parent / "data" / "mini-catalogue.ttl"
RDF_SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".jsonld": ox.RdfFormat.JSON_LD, ".nt": ox.RdfFormat.N_TRIPLES,
                ".rdf": ox.RdfFormat.RDF_XML}
FUZZ = settings(max_examples=size(quick=150, soak=3000), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
OVER_HTTP = settings(FUZZ, max_examples=size(quick=60, soak=1000))
FEW = settings(FUZZ, max_examples=size(quick=30, soak=500))
HUGE = size(quick=140_000, soak=5_000_000)
"""The largest cell made: past the csv module's 131 072-character field limit."""


def rdf_documents() -> dict[str, str]:
    """The mini catalogue in each RDF format the loader reads by extension."""
    triples = [q.triple for q in ox.parse(MINI.read_bytes(), format=ox.RdfFormat.TURTLE)]
    return {suffix: MINI.read_text(encoding="utf-8") if fmt == ox.RdfFormat.TURTLE
            else ox.serialize(triples, format=fmt, prefixes={"mini": "http://example.org/mini/"}).decode()
            for suffix, fmt in RDF_SUFFIXES.items()}


RDF_TEXT = rdf_documents()


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An XLSX workbook holding the given sheets, by title."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_rows(kind: str) -> list[list[object]]:
    """The rows of a template CSV, header first."""
    return [list(row) for row in csv.reader(io.StringIO(CSV_TEXT[kind]))]


XLSX = workbook({kind: template_rows(kind) for kind in KINDS})


# --- strategies -------------------------------------------------------------------------------------------------

def splice(text: str, piece: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`text` with a drawn piece put in at a drawn position."""
    return st.tuples(st.integers(0, len(text)), piece).map(lambda p: text[:p[0]] + p[1] + text[p[0]:])


def cut(text: str) -> st.SearchStrategy[str]:
    """`text` cut short at a drawn position."""
    return st.integers(0, len(text)).map(lambda n: text[:n])


NASTY = st.text(alphabet=st.sampled_from(list(',;\t"\'\r\n\x00|\\{}[]<>@#:.') + ["\ufeff", "\u2028", "é", "😀"]),
                max_size=20)


def wrong_header(text: str) -> st.SearchStrategy[str]:
    """The CSV with its header row replaced: random names, columns dropped, repeated or shuffled."""
    header, _, body = text.partition("\n")
    names = header.split(",")
    made = st.one_of(
        st.lists(st.text(min_size=0, max_size=12), max_size=8),
        st.permutations(names),
        st.lists(st.sampled_from(names), max_size=len(names) + 3),
        st.just([]),
    )
    return made.map(lambda cols: ",".join(cols) + "\n" + body)


def huge_cell(text: str) -> st.SearchStrategy[str]:
    """The CSV with a very long value somewhere (quoted or not)."""
    cell = st.sampled_from([1_000, 131_073, HUGE]).map(lambda n: "x" * n)
    return splice(text, st.one_of(cell, cell.map(lambda c: f'"{c}"')))


def mangled_csv(kind: str) -> st.SearchStrategy[str]:
    """A template sheet spoilt in one of the ways people's spreadsheets are."""
    text = CSV_TEXT[kind]
    return st.one_of(wrong_header(text), splice(text, NASTY), splice(text, st.just('"')), cut(text),
                     huge_cell(text), st.text(max_size=300), st.just(text))


def encoded(text: str) -> st.SearchStrategy[bytes]:
    """`text` as bytes in a drawn encoding, with or without a byte order mark."""
    def encode(codec: str) -> bytes:
        return text.encode(codec, errors="replace")

    return st.one_of(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1",
                                      "cp1252", "utf-32"]).map(encode),
                     st.just(b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode("utf-8", errors="replace")))


@st.composite
def csv_file(draw: st.DrawFn, kind: str | None = None) -> tuple[str, bytes]:
    """A CSV file name and its malformed (or, now and then, intact) bytes."""
    kind = kind or draw(st.sampled_from(KINDS))
    data = draw(st.one_of(mangled_csv(kind).flatmap(encoded), mangled_csv(kind).map(str.encode),
                          st.binary(max_size=500)))
    return f"{kind}.csv", data


@st.composite
def catalogue(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """One to three sheets, at least one of them malformed."""
    spoilt = draw(st.sampled_from(KINDS))
    files = [draw(csv_file(spoilt))]
    for kind in KINDS:
        if kind != spoilt and draw(st.booleans()):
            files.append((f"{kind}.csv", CSV_TEXT[kind].encode()))
    return files


def rezip(data: bytes, spoil: Callable[[str, bytes], bytes | None]) -> bytes:
    """A zip archive with each entry passed through `spoil` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = spoil(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
    return out.getvalue()


@st.composite
def spoilt_entry(draw: st.DrawFn) -> bytes:
    """The template workbook with one zip entry dropped, cut short or replaced."""
    names = zipfile.ZipFile(io.BytesIO(XLSX)).namelist()
    victim = draw(st.sampled_from(names))
    how = draw(st.sampled_from(["drop", "cut", "garbage", "empty"]))
    garbage = draw(st.binary(max_size=200))

    def spoil(name: str, content: bytes) -> bytes | None:
        if name != victim:
            return content
        return {"drop": None, "cut": content[: len(content) // 2], "garbage": garbage, "empty": b""}[how]

    return rezip(XLSX, spoil)


CELL = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                 st.datetimes(), st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
                 st.sampled_from(["=1/0", "=A1", "#N/A", " ", "x" * 40_000]))


@st.composite
def odd_cells(draw: st.DrawFn) -> bytes:
    """A well-formed workbook whose cells hold values of the wrong type, and sheets titled oddly."""
    sheets = {}
    for kind in KINDS:
        rows = template_rows(kind)
        for _ in range(draw(st.integers(0, 6))):
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows[0])))
            rows[r] = rows[r] + [None] * (c + 1 - len(rows[r]))
            rows[r][c] = draw(CELL)
        title = draw(st.sampled_from([kind, kind.upper(), f" {kind} ", "Blad1"]))
        sheets.setdefault(title, rows)
    return workbook(sheets)


def xlsx_bytes() -> st.SearchStrategy[bytes]:
    """A malformed workbook: cut short, bytes overwritten, a zip entry spoilt, odd cell values, or random bytes."""
    overwrite = st.tuples(st.integers(0, len(XLSX) - 1), st.binary(min_size=1, max_size=16)).map(
        lambda p: XLSX[:p[0]] + p[1] + XLSX[p[0] + len(p[1]):])
    return st.one_of(st.integers(0, len(XLSX)).map(lambda n: XLSX[:n]), overwrite, spoilt_entry(), odd_cells(),
                     st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b))


@st.composite
def rdf_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """An RDF file name (its extension picks the parser) and malformed (or intact) content."""
    suffix = draw(st.sampled_from(sorted(RDF_TEXT)))
    text = RDF_TEXT[suffix]
    spoilt = draw(st.one_of(cut(text), splice(text, NASTY), st.just(text), st.text(max_size=200),
                            st.sampled_from(['{"@context": "http://example.org/context.jsonld", "@id": "x"}',
                                             '{"@context": {"@base": "relative"}, "@id": "x", "x:p": 1}',
                                             "[" * 5000, "{" * 5000, "<a> <b> " + "(" * 5000])))
    data = draw(st.one_of(encoded(spoilt), st.binary(max_size=300)))
    return "catalogue" + suffix, data


# --- what must hold -------------------------------------------------------------------------------------------

def import_files(store: Store, files: list[tuple[str, bytes]]) -> None:
    """Read the files and import them as one catalogue (raising what the importer documents)."""
    sheets = [sheet for name, data in files for sheet in read_bytes(name, data)]
    import_catalogue(store, sheets, default_graph(sheets))


def note(outcome: str) -> None:
    """Count an outcome in Hypothesis' statistics (pytest --hypothesis-show-statistics), inside a property only."""
    if currently_in_test_context():
        event(outcome)


class Pilots:
    """A pilot store for the examples of one test: reused, and loaded anew only after an example changed it."""

    def __init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Start again from the bundled graph (at first, and after an accepted input was written)."""
        self.store = open_graph()
        self.pristine = self.store.dump()


@pytest.fixture
def pilots() -> Pilots:
    """The pilot store, as bundled, for one test's examples."""
    return Pilots()


def refused_unchanged(pilots: Pilots, action: Callable[[Store], object], errors: tuple[type[Exception], ...]) -> bool:
    """Run `action` on the pilot store: True if it raised one of `errors` and left the store as it was.

    Any other exception propagates (the test fails on it); an action that goes through gives False.
    """
    try:
        action(pilots.store)
    except errors as err:
        note(f"refused: {type(err).__name__}")
        assert pilots.store.dump() == pilots.pristine, "a refused input changed the store"
        return True
    note("accepted")
    pilots.reload()
    return False


@given(files=catalogue())
@FUZZ
def test_malformed_csv_is_refused_and_changes_nothing(pilots: Pilots, files: list[tuple[str, bytes]]) -> None:
    refused_unchanged(pilots, lambda store: import_files(store, files), (CatalogueUnreadable, CatalogueInvalid))


@given(data=xlsx_bytes())
@FUZZ
def test_malformed_xlsx_is_refused_and_changes_nothing(pilots: Pilots, data: bytes) -> None:
    refused_unchanged(pilots, lambda store: import_files(store, [("catalogue.xlsx", data)]),
                      (CatalogueUnreadable, CatalogueInvalid))


def deflate_broken(data: bytes, entry: str) -> bytes:
    """A zip archive whose entry's deflate stream starts with a reserved block type (zlib cannot inflate it)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(entry)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    return data[:start] + b"\xff" + data[start + 1:]


def xml_cut(data: bytes, entry: str) -> bytes:
    """A zip archive with one XML entry cut in half."""
    return rezip(data, lambda name, content: content[: len(content) // 2] if name == entry else content)


def test_an_xlsx_with_a_corrupt_deflate_stream_is_unreadable(pilots: Pilots) -> None:
    damaged = deflate_broken(XLSX, "docProps/core.xml")
    assert refused_unchanged(pilots, lambda store: import_files(store, [("c.xlsx", damaged)]), (CatalogueUnreadable,))


def newer_zip_version(data: bytes) -> bytes:
    """A zip archive whose first central directory entry asks for a zip version Python cannot read (6.4)."""
    at = data.index(b"PK\x01\x02") + 6
    return data[:at] + bytes([64, 0]) + data[at + 2:]


def test_an_xlsx_needing_a_newer_zip_version_is_unreadable(pilots: Pilots) -> None:
    damaged = newer_zip_version(XLSX)
    assert refused_unchanged(pilots, lambda store: import_files(store, [("c.xlsx", damaged)]), (CatalogueUnreadable,))


@pytest.mark.parametrize("entry", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_an_xlsx_with_a_cut_xml_part_is_unreadable(pilots: Pilots, entry: str) -> None:
    damaged = xml_cut(XLSX, entry)
    assert refused_unchanged(pilots, lambda store: import_files(store, [("c.xlsx", damaged)]), (CatalogueUnreadable,))


def test_post_catalogues_with_a_corrupt_xlsx_is_a_400(pilots: Pilots) -> None:
    client = TestClient(create_app(Settings(sparql_token=TOKEN), pilots.store))
    reply = client.post("/api/catalogues", content=deflate_broken(XLSX, "docProps/core.xml"),
                        headers={"Content-Type": XLSX_MEDIA, "Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 400 and reply.json()["error"] == "unreadable_catalogue"


def test_random_bytes_under_an_unknown_extension_are_unreadable(pilots: Pilots) -> None:
    assert refused_unchanged(pilots, lambda store: import_files(store, [("catalogue.ods", b"\x00\x01")]),
                             (CatalogueUnreadable,))


def written(directory: str, name: str, data: bytes) -> Path:
    """`data` saved as `name` in `directory`."""
    path = Path(directory) / name
    path.write_bytes(data)
    return path


@given(rdf=rdf_file())
@FUZZ
def test_malformed_rdf_files_fail_to_load_with_a_load_error(pilots: Pilots, rdf: tuple[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = written(directory, *rdf)
        refused_unchanged(pilots, lambda store: store.load_file(path, "http://example.org/fuzzed"), (LoadError,))


@given(rdf=rdf_file())
@FEW
def test_the_gap_command_exits_2_on_a_data_file_that_does_not_load(rdf: tuple[str, bytes],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = written(directory, *rdf)
        try:
            Store().load_file(path)
            loads = True
        except LoadError:
            loads = False
        status = cli.main(["gap", "--data", str(path), "--target", "http://example.org/mini/senior"])
    error = capsys.readouterr().err
    assert status in (0, 2)
    assert loads or (status == 2 and str(path) in error)


@given(sheet=csv_file())
@FEW
def test_the_import_command_exits_1_or_2_on_a_malformed_sheet(sheet: tuple[str, bytes],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        status = cli.main(["import", str(written(directory, *sheet))])
    capsys.readouterr()
    assert status in (0, 1, 2)


def assert_refusal_or_success(pilots: Pilots, send: Callable[[TestClient], Response]) -> None:
    """Send a request to an app with a write token: 2xx, or a 4xx with the JSON error body and the store as it was."""
    reply = send(TestClient(create_app(Settings(sparql_token=TOKEN), pilots.store)))
    note(f"status {reply.status_code}")
    assert reply.status_code < 500, reply.text
    if reply.status_code >= 400:
        body = reply.json()
        assert body["error"] and body["message"]
        assert pilots.store.dump() == pilots.pristine, "a refused request changed the store"
    else:
        pilots.reload()


MULTIPART = st.builds(lambda files: {"files": [("file", f) for f in files]},
                      st.lists(st.one_of(csv_file(), xlsx_bytes().map(lambda b: ("catalogue.xlsx", b))),
                               min_size=1, max_size=3))


@given(body=st.one_of(csv_file().map(lambda f: ("text/csv", f[1])),
                      xlsx_bytes().map(lambda b: (XLSX_MEDIA, b)),
                      st.tuples(st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=x",
                                                 "text/csv; charset=latin-1"]), st.binary(max_size=300))))
@OVER_HTTP
def test_post_catalogues_refuses_malformed_bodies_with_a_4xx(pilots: Pilots, body: tuple[str, bytes]) -> None:
    media, data = body
    assert_refusal_or_success(pilots, lambda client: client.post(
        "/api/catalogues", content=data, headers={"Content-Type": media, "Authorization": f"Bearer {TOKEN}"}))


@given(parts=MULTIPART)
@FEW
def test_post_catalogues_refuses_malformed_multipart_files_with_a_4xx(pilots: Pilots, parts: dict) -> None:
    assert_refusal_or_success(pilots, lambda client: client.post(
        "/api/catalogues", headers={"Authorization": f"Bearer {TOKEN}"}, **parts))


GRAPH_MEDIA = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".nt": "application/n-triples",
               ".rdf": "application/rdf+xml"}


@given(rdf=rdf_file())
@OVER_HTTP
def test_graph_store_put_refuses_malformed_rdf_with_a_4xx(pilots: Pilots, rdf: tuple[str, bytes]) -> None:
    name, data = rdf
    media = GRAPH_MEDIA[Path(name).suffix]
    assert_refusal_or_success(pilots, lambda client: client.put(
        "/graph-store", params={"graph": "http://example.org/fuzzed"}, content=data,
        headers={"Content-Type": media, "Authorization": f"Bearer {TOKEN}"}))
