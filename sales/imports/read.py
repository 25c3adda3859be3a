"""Opening an uploaded file as rows: xlsx/xls/ods with python-calamine, CSV by hand; bad files refused."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from sales.imports.columns import header_score

MAX_BYTES = 20 * 1024 * 1024
HEADER_SCAN = 10
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_CELL_F = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>(?:(?!</c>).)*?<f(?: [^>]*)?>([^<]*)</f>', re.S)
_SHEET = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|'
                  rb'<Relationship [^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


class BadFile(Exception):
    """A file that cannot be imported; `code` names why, `params` fill the message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params







@dataclass
class Table:
    """The chosen sheet: its header row, data rows (with their row numbers) and formulas as typed."""

    sheet: str
    sheets: list[str]
    header_row: int  # 1-based row number of the headers
    headers: list[Any]
    rows: list[list[Any]]
    first_row: int  # 1-based row number of rows[0]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (index in rows, column) → "=…"


def read_table(data: bytes, name: str, sheet: str | None = None, max_bytes: int = MAX_BYTES) -> Table:
    """The rows of `sheet` (or the first sheet with data) of an uploaded file, or BadFile."""
    if len(data) > max_bytes:
        raise BadFile("too_large", size=round(len(data) / 1024 / 1024, 1), limit=max_bytes // 1024 // 1024)
    if not data.strip():
        raise BadFile("empty", name=name)
    if data.startswith(_OLE) and _ENCRYPTED in data:
        raise BadFile("encrypted", name=name)
    if data.startswith(_ZIP) or data.startswith(_OLE):
        sheets, grid, chosen, found = _read_book(data, name, sheet)
    elif name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")):
        raise BadFile("corrupt", name=name)
    else:
        grid, chosen, sheets = _read_csv(data, name), "csv", ["csv"]
        if sheet not in (None, "csv"):
            raise BadFile("no_sheet", sheet=sheet, sheets="csv")
        found = {}
    header_at = header_row(grid)
    if header_at is None:
        raise BadFile("empty", name=name)
    rows = grid[header_at + 1:]
    shifted = {(r - header_at - 1, c): f for (r, c), f in found.items() if r > header_at}
    return Table(sheet=chosen, sheets=sheets, header_row=header_at + 1, headers=list(grid[header_at]),
                 rows=rows, first_row=header_at + 2, formulas=shifted)


def _read_book(data: bytes, name: str, sheet: str | None) -> tuple[list[str], list[list[Any]], str, dict[tuple[int, int], str]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise BadFile("encrypted", name=name) from None
    except (CalamineError, ValueError, OSError, RuntimeError):
        raise BadFile("corrupt", name=name) from None
    except Exception as exc:  # calamine raises its own error classes for each format
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise BadFile("encrypted", name=name) from None
        raise BadFile("corrupt", name=name) from None
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise BadFile("no_sheet", sheet=sheet, sheets="、".join(names))
    xlsx = data.startswith(_ZIP)
    try:
        likely = sheet or (names[0] if names else None)
        if xlsx and likely is not None:
            grid, found = _parse_while(book, data, likely)
            if any(_filled(r) for r in grid):
                return names, grid, likely, found
        for candidate in [sheet] if sheet else names:
            assert candidate is not None
            if xlsx and candidate == likely:
                continue
            grid = book.get_sheet_by_name(candidate).to_python(skip_empty_area=False)
            if any(_filled(r) for r in grid):
                xml = sheet_xml(data, candidate) if xlsx else None
                return names, grid, candidate, formulas(xml) if xml is not None else {}
    except Exception:
        raise BadFile("corrupt", name=name) from None
    raise BadFile("empty", name=name)


def _parse_while(book: CalamineWorkbook, data: bytes, sheet: str) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
    """An xlsx sheet's cells and formulas; while calamine parses (without the GIL) this thread finds the formulas."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsing = pool.submit(book.get_sheet_by_name, sheet)
        xml = sheet_xml(data, sheet)
        found = formulas(xml) if xml is not None else {}
        del xml  # the XML can go before the cells arrive
        return parsing.result().to_python(skip_empty_area=False), found


def sheet_xml(data: bytes, sheet: str) -> bytes | None:
    """The named sheet's XML from an xlsx file (None when it is not there)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            path = _sheet_path(book, sheet)
            if path is None or path not in book.namelist():
                return None
            return book.read(path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError):
        return None


def formulas(xml: bytes) -> dict[tuple[int, int], str]:
    """Formulas of a sheet as typed, by (row, column) from 0 (calamine gives only cached values)."""
    if b"</f>" not in xml:
        return {}
    out: dict[tuple[int, int], str] = {}
    for m in _CELL_F.finditer(xml):
        letters, row, formula = m.group(1).decode(), int(m.group(2)), m.group(3)
        if not formula:
            continue  # a shared formula's followers: their cached value stands
        out[(row - 1, column_index(letters))] = "=" + html.unescape(formula.decode("utf-8", "replace"))
    return out


def column_index(letters: str) -> int:
    """A column's number from 0 (A → 0, AA → 26)."""
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return col - 1


def _sheet_path(z: zipfile.ZipFile, sheet: str) -> str | None:
    book = z.read("xl/workbook.xml")
    rels = z.read("xl/_rels/workbook.xml.rels")
    targets: dict[bytes, bytes] = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        targets[rid] = target
    for m in _SHEET.finditer(book):
        if html.unescape(m.group(1).decode("utf-8")) == sheet:
            target = targets.get(m.group(2), b"").decode()
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _read_csv(data: bytes, name: str) -> list[list[Any]]:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadFile("not_spreadsheet", name=name)
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            body = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadFile("not_spreadsheet", name=name)
    if body.lstrip().startswith(("%PDF", "<!DOCTYPE", "<html", "{\\rtf")):
        raise BadFile("not_spreadsheet", name=name)
    sample = body[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(body), dialect)]
    widest = max((len(r) for r in rows), default=0)
    if widest < 2 and not name.lower().endswith((".csv", ".tsv", ".txt")):
        raise BadFile("not_spreadsheet", name=name)
    return rows


def _filled(row: list[Any]) -> bool:
    return any(c not in (None, "") for c in row)


def header_row(grid: list[list[Any]]) -> int | None:
    """The row among the first few with the most recognizable headers (a title row may sit above)."""
    best, best_score = None, -1
    for i, row in enumerate(grid[:HEADER_SCAN]):
        if not _filled(row):
            continue
        score = header_score(row)
        if score > best_score:
            best, best_score = i, score
        if best is None:
            best = i
    return best
