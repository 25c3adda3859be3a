"""Work done while calamine parses an xlsx sheet: the names' keys and the cells that rarely repeat, from its XML."""

from __future__ import annotations

import os
from datetime import date

from sales.imports.columns import Column, sheet_columns
from sales.imports.plan import Converter, Options, Ready
from sales.imports.read import HEADER_SCAN, SheetXml, header_row
from sales.imports.speed.glimpse import Glimpse
from sales.imports.values import name_parts

AHEAD = ("name", "phone", "email")  # the fields whose cells are nearly all distinct: no memo helps them later
ENABLED = os.environ.get("SALESBOT_HEAD_START", "1") != "0"


def worth_it() -> bool:
    """Whether a second core is there to do this beside the parse (on one core it would only add the XML read)."""
    if not ENABLED:
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) >= 2


def head_start(options: Options, today: date, file_name: str) -> Warm | None:
    """Work to do on an xlsx sheet's XML during its parse, when it can help (switched on, a second core)."""
    return Warm(options, today, file_name) if worth_it() else None


class Warm:
    """Conversions worked out from a Glimpse of the sheet; they count only if the read finds the same columns."""

    def __init__(self, options: Options, today: date, file_name: str) -> None:
        self.options = options
        self.today = today
        self.file_name = file_name
        self.columns: list[Column] | None = None
        self.ready = Ready()

    def fill(self, found: SheetXml, sheet: str) -> None:
        """Find the header row and columns in the XML's top rows as the import will, then convert ahead."""
        seen = Glimpse(found.xml, found.book)
        grid = seen.top(HEADER_SCAN)
        at = header_row(grid)
        if at is None:
            return
        opts = self.options
        _, columns = sheet_columns(grid[at], opts.kind, opts.mapping, sheet, self.file_name)
        self.columns = columns
        convert = Converter(columns, self.today, opts.region).convert
        for c in columns:
            if c.field not in AHEAD:
                continue
            texts = [t for t in dict.fromkeys(seen.texts(c.index)) if t]
            self.ready.reads[c.field] = reads = {t: convert(c.field, t) for t in texts}
            if c.field == "name":
                self.ready.keys = {value: name_parts(value) for value, _, _ in reads.values() if value}

    def ready_for(self, columns: list[Column]) -> Ready | None:
        """The conversions, if the sheet as read has the columns they were made for."""
        if self.columns is None or _fields(self.columns) != _fields(columns):
            return None
        return self.ready


def _fields(columns: list[Column]) -> dict[str, tuple[int, str, object]]:
    return {c.field: (c.index, c.header, c.unit) for c in columns if c.field}
