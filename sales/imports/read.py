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
MAX_UNPACKED = 200 * 1024 * 1024
MAX_ROWS = 1_048_576  # Excel's own
MAX_COLUMNS = 1_000
MAX_CELL = 32_767  # characters, Excel's own
MAX_MEMBERS = 10_000  # files inside one xlsx or ods
HEADER_SCAN = 10
_STREAM = 1024 * 1024
_REPEATED = re.compile(rb'number-(rows|columns)-repeated="([0-9]{1,12})"')
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







@dataclass(frozen=True, slots=True)
class Limits:
    """How large a file may be, packed and unpacked, and its sheets: each checked before or while reading."""

    file_bytes: int = MAX_BYTES
    unpacked_bytes: int = MAX_UNPACKED
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cell_chars: int = MAX_CELL


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


def read_table(data: bytes, name: str, sheet: str | None = None, max_bytes: int = MAX_BYTES,
               limits: Limits | None = None) -> Table:
    """The rows of `sheet` (or the first sheet with data) of an uploaded file, or BadFile; a file over one of
    the limits is refused before it is expanded."""
    limits = limits or Limits(file_bytes=max_bytes)
    max_bytes = min(max_bytes, limits.file_bytes)
    if len(data) > max_bytes:
        raise BadFile("too_large", size=round(len(data) / 1024 / 1024, 1), limit=max_bytes // 1024 // 1024)
    if not data.strip():
        raise BadFile("empty", name=name)
    if data.startswith(_OLE) and _ENCRYPTED in data:
        raise BadFile("encrypted", name=name)
    if data.startswith(_ZIP) or data.startswith(_OLE):
        if data.startswith(_ZIP):
            check_zip(data, name, limits)
        sheets, grid, chosen, found = _read_book(data, name, sheet)
        _check_grid(grid, limits)
    elif name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")):
        raise BadFile("corrupt", name=name)
    else:
        grid, chosen, sheets = _read_csv(data, name, limits), "csv", ["csv"]
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


def check_zip(data: bytes, name: str, limits: Limits) -> None:
    """Refuse an xlsx or ods whose members unpack past the limits: their declared sizes first, then the bytes
    as they inflate (zipfile stops at the declared size and checks the CRC, so a member that lies is refused as
    damaged); worksheet rows and column letters, and text runs (cells), counted on the way."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        infos = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError):
        raise BadFile("corrupt", name=name) from None
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > limits.unpacked_bytes:
        raise _unpacked(limits)
    total = 0
    widest = _column_letters(limits.columns)
    cell_bytes = 4 * limits.cell_chars  # a character is at most 4 bytes of UTF-8
    try:
        for info in infos:
            sheet = info.filename.startswith("xl/worksheets/") or info.filename == "content.xml"
            rows, run, tail = 0, 0, b""
            with book.open(info) as member:
                while chunk := member.read(_STREAM):
                    total += len(chunk)
                    if total > limits.unpacked_bytes:
                        raise _unpacked(limits)
                    parts = chunk.split(b"<")
                    run += len(parts[0])
                    if len(parts) > 1:
                        run = max(run, max(map(len, parts[1:-1]), default=0))
                        if run > cell_bytes:
                            raise BadFile("cell_too_long", limit=limits.cell_chars)
                        run = len(parts[-1])
                    if run > cell_bytes:
                        raise BadFile("cell_too_long", limit=limits.cell_chars)
                    if not sheet:
                        continue
                    joined = tail + chunk
                    rows += joined.count(b"<row") + joined.count(b"<table:table-row") - \
                        tail.count(b"<row") - tail.count(b"<table:table-row")
                    if rows > limits.rows + 1:  # the header row besides
                        raise BadFile("too_many_rows", limit=limits.rows)
                    if widest is not None and widest.search(joined):
                        raise BadFile("too_many_columns", limit=limits.columns)
                    for m in _REPEATED.finditer(joined):  # ods: one element standing for many rows or cells
                        if int(m.group(2)) > (limits.rows if m.group(1) == b"rows" else limits.columns):
                            raise BadFile("too_many_rows" if m.group(1) == b"rows" else "too_many_columns",
                                          limit=limits.rows if m.group(1) == b"rows" else limits.columns)
                    tail = chunk[-24:]
    except BadFile:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError, NotImplementedError):
        raise BadFile("corrupt", name=name) from None


def _unpacked(limits: Limits) -> BadFile:
    return BadFile("too_large_unpacked", limit=limits.unpacked_bytes // 1024 // 1024)


def _column_letters(columns: int) -> re.Pattern[bytes] | None:
    """A pattern finding a cell reference past the last column allowed (None: every xlsx column is allowed)."""
    if columns >= 16_384:
        return None
    letters, n = "", columns  # the last allowed column's letters (1000 → ALL)
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    longer = rf"[A-Z]{{{len(letters) + 1},3}}" if len(letters) < 3 else None
    same = "|".join(_above(letters))
    alts = "|".join(a for a in (longer, same) if a)
    return re.compile(rf'<c r="(?:{alts})[0-9]'.encode()) if alts else None


def _above(letters: str) -> list[str]:
    """Patterns of the column letters of the same length that sort after `letters`."""
    out = []
    for i, ch in enumerate(letters):
        if ch < "Z":
            rest = "[A-Z]" * (len(letters) - i - 1)
            out.append(re.escape(letters[:i]) + f"[{chr(ord(ch) + 1)}-Z]" + rest)
    return out


def _check_grid(grid: list[list[Any]], limits: Limits) -> None:
    """The read sheet's rows and width within the limits (for the formats not checked while unpacking)."""
    if len(grid) > limits.rows + 1:
        raise BadFile("too_many_rows", limit=limits.rows)
    if grid and max(map(len, grid)) > limits.columns:
        raise BadFile("too_many_columns", limit=limits.columns)


def _read_csv(data: bytes, name: str, limits: Limits | None = None) -> list[list[Any]]:
    limits = limits or Limits()
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
    delimiter = str(getattr(dialect, "delimiter", ","))
    first = body[:body.find("\n")] if "\n" in body else body
    if first.count(delimiter) >= limits.columns:  # a header too wide refused before it is split
        raise BadFile("too_many_columns", limit=limits.columns)
    rows: list[list[Any]] = []
    widest = 0
    try:
        for r in csv.reader(io.StringIO(body), dialect):
            if len(r) > limits.columns:
                raise BadFile("too_many_columns", limit=limits.columns)
            if len(rows) > limits.rows:
                raise BadFile("too_many_rows", limit=limits.rows)
            if r and max(map(len, r)) > limits.cell_chars:
                raise BadFile("cell_too_long", limit=limits.cell_chars)
            widest = max(widest, len(r))
            rows.append(r)
    except csv.Error:  # a field past the csv module's own limit (128 KiB)
        raise BadFile("cell_too_long", limit=limits.cell_chars) from None
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
