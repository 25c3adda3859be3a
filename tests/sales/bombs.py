"""Spreadsheet bombs, generated for the limit tests: small files that unpack to gigabytes or millions of rows."""

from __future__ import annotations

import zipfile
from pathlib import Path

_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
          '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
          '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
          '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
         '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
         'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
              'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
              'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2"'
              ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
              'Target="sharedStrings.xml"/></Relationships>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               'spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"
_MIB = 1024 * 1024


def _book(path: Path, sheet_rows: tuple[str, str, int], strings: tuple[str, str, int]) -> Path:
    """An xlsx whose sheet is head + body × n and whose shared strings are head + body × n, streamed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in (("[Content_Types].xml", _TYPES), ("_rels/.rels", _RELS), ("xl/workbook.xml", _BOOK),
                           ("xl/_rels/workbook.xml.rels", _BOOK_RELS)):
            z.writestr(name, text)
        for name, (head, body, n), tail in (("xl/worksheets/sheet1.xml", sheet_rows, _SHEET_TAIL),
                                            ("xl/sharedStrings.xml", strings, "</t></si></sst>")):
            with z.open(name, "w", force_zip64=True) as f:
                f.write(head.encode())
                if not body:
                    f.write(tail.encode())
                    continue
                chunk = body.encode() * max(1, _MIB // max(1, len(body)))
                per = len(chunk) // len(body.encode())
                done = 0
                while done + per <= n:
                    f.write(chunk)
                    done += per
                f.write(body.encode() * (n - done))
                f.write(tail.encode())
    return path


def big_cell(path: Path, gib: float = 1.5) -> Path:
    """One cell of `gib` GiB of text in a small xlsx (a header row names it)."""
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>', "", 0)
    head = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/' \
           '2006/main" count="2" uniqueCount="2"><si><t>客户名称</t></si><si><t>'
    return _book(path, (_SHEET_HEAD + rows[0], "", 0), (head, "a", int(gib * 1024 * _MIB)))


def many_rows(path: Path, rows: int = 20_000_000) -> Path:
    """A sheet of `rows` rows of one number each."""
    strings = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
               'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>客户名称', "", 0)
    return _book(path, (_SHEET_HEAD, "<row><c><v>1</v></c></row>", rows), strings)


def wide_csv(path: Path, columns: int = 1_000_000) -> Path:
    """A CSV whose header row has `columns` columns."""
    path.write_bytes(b"\xe5\xae\xa2\xe6\x88\xb7\xe5\x90\x8d\xe7\xa7\xb0," + b"x," * columns + b"\n1,2\n")
    return path


def lying(path: Path, declared: int = 1000) -> Path:
    """The same xlsx with every member's declared size rewritten small (the bytes still inflate to the real size)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    for info in infos:
        if info.file_size <= declared:
            continue
        local = info.header_offset
        # Local header: the sizes at +18 (compressed) and +22 (uncompressed), or in the zip64 extra field.
        name_len = int.from_bytes(data[local + 26:local + 28], "little")
        extra_at = local + 30 + name_len
        if data[local + 22:local + 26] == b"\xff\xff\xff\xff":
            data[extra_at + 4:extra_at + 12] = declared.to_bytes(8, "little")
        else:
            data[local + 22:local + 26] = declared.to_bytes(4, "little")
    end = bytes(data).rfind(b"PK\x01\x02")
    at = bytes(data).find(b"PK\x01\x02")
    while 0 <= at <= end:  # central directory entries
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        size = int.from_bytes(data[at + 24:at + 28], "little")
        extra_len = int.from_bytes(data[at + 30:at + 32], "little")
        if size == 0xFFFFFFFF:
            extra = at + 46 + name_len
            data[extra + 4:extra + 12] = declared.to_bytes(8, "little")
        elif size > declared:
            data[at + 24:at + 28] = declared.to_bytes(4, "little")
        comment_len = int.from_bytes(data[at + 32:at + 34], "little")
        at = bytes(data).find(b"PK\x01\x02", at + 46 + name_len + extra_len + comment_len)
    path.write_bytes(bytes(data))
    return path
