"""A first look at an xlsx sheet's own XML: its top rows and the text of a column, read while calamine parses."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sales.imports.read import SheetXml, column_index, sheet_xml

_ROW = re.compile(rb'<row [^>]*?r="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(rb'<c r="([A-Z]{1,3})\d+"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_SI = re.compile(rb"<si>(.*?)</si>", re.S)
_RPH = re.compile(rb"<rPh .*?</rPh>", re.S)
_T = re.compile(rb"<t(?: [^>]*)?>([^<]*)</t>")
_V = re.compile(rb"<v>([^<]*)</v>")
_TYPE = re.compile(rb' t="([a-zA-Z]+)"')


@dataclass
class Glimpse(SheetXml):
    """A sheet's XML as stored: enough to find its headers and read a column's text before calamine is done."""

    _strings: list[str | None] | None = field(default=None, repr=False)

    def top(self, rows: int) -> list[list[Any]]:
        """The first `rows` rows as calamine lays them out from A1 (text as text, other values as typed)."""
        grid: list[list[Any]] = [[] for _ in range(rows)]
        start = self.xml.find(b"<sheetData")
        for m in _ROW.finditer(self.xml, max(start, 0)):
            at = int(m.group(1)) - 1
            if at >= rows:
                break
            row = grid[at]
            for cell in _CELL.finditer(m.group(2) or b""):
                col = column_index(cell.group(1).decode())
                row += [None] * (col + 1 - len(row))
                row[col] = self._value(cell.group(2), cell.group(3) or b"")
        return grid

    def texts(self, col: int) -> list[str]:
        """The text cells of column `col` (0-based) in one pass over the XML; rich or odd cells are left out."""
        letters = re.escape(column_letters(col).encode())
        # One pattern per column: the literal start lets the regex engine skip to this column's cells quickly.
        pattern = re.compile(rb'<c r="' + letters + rb'\d+"[^>]*? t="(?:inlineStr"[^>]*><is><t(?: [^>]*)?>([^<]*)'
                             rb'</t></is>|s"[^>]*><v>(\d+)</v>)')
        found = pattern.findall(self.xml)
        if not found:
            return []
        strings = self.strings() if any(shared for _, shared in found) else []
        out: list[str] = []
        for inline, shared in found:
            if shared:
                i = int(shared)
                text = strings[i] if i < len(strings) else None
                if text is not None:
                    out.append(text)
            else:
                text = _text(inline)
                if text is not None:
                    out.append(text)
        return out

    def strings(self) -> list[str | None]:
        """The workbook's shared strings (None where the text is not plain enough to be sure of)."""
        if self._strings is None:
            self._strings = []
            if self.book is not None and "xl/sharedStrings.xml" in self.book.namelist():
                body = self.book.read("xl/sharedStrings.xml")
                if b"<rPh" in body:
                    body = _RPH.sub(b"", body)  # phonetic guides: calamine leaves them out as well
                self._strings = [_text(b"".join(_T.findall(si))) for si in _SI.findall(body)]
        return self._strings

    def _value(self, attrs: bytes, inner: bytes) -> Any:
        kind = _TYPE.search(attrs)
        t = kind.group(1) if kind else b"n"
        if t == b"inlineStr":
            return _text(b"".join(_T.findall(inner)))
        v = _V.search(inner)
        if v is None:
            return None
        if t == b"s":
            strings = self.strings()
            i = int(v.group(1))
            return strings[i] if i < len(strings) else None
        if t in (b"str", b"e", b"b", b"d"):
            return _text(v.group(1))
        try:
            return float(v.group(1))
        except ValueError:
            return None


def glimpse(data: bytes, sheet: str) -> Glimpse | None:
    """The named sheet's XML from an xlsx file, to read (None when it is not there)."""
    found = sheet_xml(data, sheet)
    return Glimpse(found.xml, found.book) if found is not None else None


def column_letters(col: int) -> str:
    """A column's letters from its number from 0 (0 → A, 26 → AA)."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(raw: bytes) -> str | None:
    """XML text as calamine reads it, or None where an escape (_x000D_) might make it differ."""
    text = raw.decode("utf-8", "replace")
    if "&" in text:
        text = html.unescape(text)
    return None if "_x" in text else text
