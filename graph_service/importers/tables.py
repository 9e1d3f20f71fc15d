"""Reading catalogue spreadsheets (CSV files, XLSX workbooks) into sheets of rows that keep their positions."""

from __future__ import annotations

import csv
import difflib
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..store import LoadError
from .columns import ID_COLUMNS, SHEETS

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DELIMITERS = (",", ";", "\t")


class CatalogueUnreadable(LoadError):
    """A catalogue file cannot be read at all (not CSV/XLSX, not UTF-8, no id column): nothing was imported."""


@dataclass(frozen=True)
class Issue:
    """One problem in a catalogue: where (file, row, column), the value found, and what would be right."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def text(self) -> str:
        """The issue as one line a person can act on."""
        where = ", ".join(part for part in (self.file, self.row and f"row {self.row}",
                                            self.column and f"column {self.column}") if part)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and its cells by column."""

    number: int
    cells: dict[str, str]


@dataclass
class Sheet:
    """One sheet of a catalogue: its kind (credentials, roles, competences), its file, where in it, its rows."""

    kind: str
    file: str
    origin: str
    header: list[str]
    rows: list[Row]
    issues: list[Issue] = field(default_factory=list)

    def place(self, column: str) -> str:
        """A column as a person finds it: its name and spreadsheet letter, e.g. ``eqf (T)``."""
        if column not in self.header:
            return column
        number, letters = self.header.index(column) + 1, ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(65 + rest) + letters
        return f"{column} ({letters})"

    def issue(self, row: int | None, column: str | None, value: str | None, message: str) -> Issue:
        """An issue at a row and column of this sheet."""
        return Issue(self.origin, row, self.place(column) if column else None, value, message)


def _normalise(name: object) -> str:
    """A header cell as a column name: trimmed, lower-case, spaces and hyphens as underscores."""
    return "_".join(str(name or "").strip().lower().replace("-", " ").split())


def _text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, booleans as true/false, nothing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(kind: str, file: str, origin: str, header: list[str], rows: Iterable[tuple[int, list[object]]]) -> Sheet:
    """Build a sheet, noting unknown or repeated columns and cells past the last column."""
    sheet = Sheet(kind, file, origin, header, [])
    known = [c.name for c in SHEETS[kind]]
    for position, name in enumerate(header):
        if name and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "see mappings/templates/README.md for the columns"
            sheet.issues.append(sheet.issue(1, name, name, f"unknown column {name!r} in a {kind} sheet; {hint}"))
        elif name and name in header[:position]:
            sheet.issues.append(sheet.issue(1, name, name, f"column {name!r} appears twice; keep one"))
    for number, values in rows:
        texts = [_text(v) for v in values]
        if not any(texts):
            continue
        extra = [t for t in texts[len(header):] if t]
        if extra:
            sheet.issues.append(sheet.issue(number, None, extra[0], f"the row has {len(texts)} cells but the header "
                                            f"names {len(header)} columns; quote cells that contain the delimiter"))
        cells: dict[str, str] = {}
        for name, text in zip(header, texts):
            if name:
                cells.setdefault(name, text)
        sheet.rows.append(Row(number, cells))
    return sheet


def _kind_of(origin: str, header: list[str]) -> str:
    """Which sheet a CSV holds, told by its id column.

    :raises CatalogueUnreadable: if the header has none of the id columns, or several.
    """
    kinds = [kind for kind, column in ID_COLUMNS.items() if column in header]
    if len(kinds) != 1:
        wanted = ", ".join(ID_COLUMNS.values())
        found = "several of them" if kinds else f"the columns {', '.join(h for h in header if h) or 'nothing'}"
        raise CatalogueUnreadable(origin, f"cannot tell what this sheet holds: its header row needs exactly one of "
                                          f"{wanted} (see mappings/templates/README.md), but has {found}")
    return kinds[0]


def read_csv(name: str, data: bytes) -> Sheet:
    """Read one CSV sheet (UTF-8, comma, semicolon or tab separated); its id column tells its kind.

    :raises CatalogueUnreadable: if it is not UTF-8 text, does not parse as CSV or has no id column.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CatalogueUnreadable(name, f"is not UTF-8 text (byte {err.start}): save it as 'CSV UTF-8'") from err
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = [(reader.line_num, values) for values in reader]
    except csv.Error as err:
        raise CatalogueUnreadable(name, f"does not parse as CSV: {err}", reader.line_num) from err
    if not lines:
        raise CatalogueUnreadable(name, "is empty: the first row must name the columns")
    header = [_normalise(v) for v in lines[0][1]]
    return _sheet(_kind_of(name, header), name, name, header, lines[1:])


def _damaged_workbook_errors() -> tuple[type[BaseException], ...]:
    """What openpyxl and zipfile raise for a damaged workbook: a bad zip or deflate stream, cut XML, odd parts."""
    from xml.etree.ElementTree import ParseError

    from openpyxl.utils.exceptions import InvalidFileException

    return (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, zlib.error, ParseError,
            NotImplementedError, EOFError)


def read_xlsx(name: str, data: bytes) -> list[Sheet]:
    """Read the sheets named credentials, roles and competences of an XLSX workbook (others are ignored).

    :raises CatalogueUnreadable: if it is not an XLSX workbook, or has none of those sheets.
    """
    from openpyxl import load_workbook

    damaged = _damaged_workbook_errors()
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except damaged as err:
        raise CatalogueUnreadable(name, f"is not an XLSX workbook that can be read: {err}") from err
    sheets = []
    for title in book.sheetnames:
        kind = title.strip().lower()
        if kind not in SHEETS:
            continue
        origin = f"{name}, sheet {title}"
        try:  # read-only workbooks unpack each sheet only now, so damage can show up here too
            rows = list(enumerate(book[title].iter_rows(values_only=True), start=1))
        except damaged as err:
            raise CatalogueUnreadable(origin, f"cannot be read, the workbook is damaged: {err}") from err
        header = [_normalise(v) for v in rows[0][1]] if rows else []
        if ID_COLUMNS[kind] not in header:
            raise CatalogueUnreadable(origin, f"the first row must name the columns, starting with "
                                              f"{ID_COLUMNS[kind]} (see mappings/templates/README.md)")
        sheets.append(_sheet(kind, name, origin, header, [(n, list(v)) for n, v in rows[1:]]))
    book.close()
    if not sheets:
        raise CatalogueUnreadable(name, f"has no sheet named {', '.join(SHEETS)} (found: {', '.join(book.sheetnames)})")
    return sheets


def read_bytes(name: str, data: bytes) -> list[Sheet]:
    """Read a CSV or XLSX file's bytes by its name's extension.

    :raises CatalogueUnreadable: for another extension or content that cannot be read.
    """
    suffix = Path(name).suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(name, data)
    if suffix in CSV_SUFFIXES:
        return [read_csv(name, data)]
    raise CatalogueUnreadable(name, f"unknown catalogue file type {suffix or '(none)'!r}: use .csv or .xlsx "
                                    "(mappings/templates/ has the columns)")


def read_files(paths: Iterable[str | Path]) -> list[Sheet]:
    """Read catalogue files (CSV, one sheet each; XLSX, several) from disk.

    :raises CatalogueUnreadable: if a file cannot be read.
    """
    sheets = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as err:
            raise CatalogueUnreadable(str(path), f"cannot read the file: {err.strerror or err}") from err
        sheets += read_bytes(str(path), data)
    return sheets
