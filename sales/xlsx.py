"""A streaming xlsx writer: rows go straight into the compressed sheet as XML, a few thousand at a time.

openpyxl's write-only mode makes an object per cell and took most of a 400,000-row export; this writes each
cell as text (strings inline, numbers, dates with a date format), which Excel, LibreOffice, openpyxl and
python-calamine all read."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_BATCH = 2000
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _text(ref: str, v: str) -> str:
    if _ILLEGAL.search(v):
        v = _ILLEGAL.sub("", v)
    space = ' xml:space="preserve"' if v[:1].isspace() or v[-1:].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(v)}</t></is></c>'


def _number(ref: str, v: float | int) -> str:
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return _text(ref, str(v))
    return f'<c r="{ref}"><v>{v!r}</v></c>'


def _cell(ref: str, v: Any) -> str:
    kind = v.__class__
    if kind is str:
        return _text(ref, v)
    if kind is int or kind is float:
        return _number(ref, v)
    if kind is Decimal:
        return _number(ref, float(v))
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if kind is datetime:
        naive = v.replace(tzinfo=None)
        return f'<c r="{ref}" s="2"><v>{(naive - _EPOCH).total_seconds() / 86400!r}</v></c>'
    if kind is date:
        return f'<c r="{ref}" s="1"><v>{(v - _EPOCH_DAY).days}</v></c>'
    return _text(ref, str(v))


def write_xlsx(out: IO[bytes], header: list[str], rows: Iterable[list[Any]], sheet: str = "Sheet1",
               quote: frozenset[str] = frozenset()) -> int:
    """Write a one-sheet workbook to `out` as the rows arrive; text starting with a character of `quote` gets a
    leading apostrophe (so no spreadsheet runs it). The number of data rows."""
    letters = [_letters(i) for i in range(max(len(header), 1))]
    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} '
                      f'xmlns:r="{_REL}"><sheets><sheet name={quoteattr(sheet[:31])} sheetId="1" r:id="rId1"/>'
                      '</sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>'
                    .encode())
            parts = ['<row r="1">', *(_text(f"{letters[i]}1", h) for i, h in enumerate(header)), "</row>"]
            for row in rows:
                n += 1
                r = str(n + 1)
                if len(row) > len(letters):
                    letters += [_letters(i) for i in range(len(letters), len(row))]
                parts.append(f'<row r="{r}">')
                for i, v in enumerate(row):
                    if v is None:
                        continue
                    if v.__class__ is str:  # the common cell, written here without a call
                        if not v:
                            continue
                        if v[0] in quote:
                            v = "'" + v
                        if _ILLEGAL.search(v) or v[0].isspace() or v[-1].isspace():
                            parts.append(_text(letters[i] + r, v))
                        else:
                            parts.append(f'<c r="{letters[i]}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
                        continue
                    parts.append(_cell(letters[i] + r, v))
                parts.append("</row>")
                if n % _BATCH == 0:
                    f.write("".join(parts).encode())
                    parts = []
            parts.append("</sheetData></worksheet>")
            f.write("".join(parts).encode())
    return n
