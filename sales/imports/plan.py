"""What an import will do (its plan), shared by the planners of each kind of sheet."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from sales.imports import values
from sales.imports.columns import FIELDS, Column
from sales.imports.read import MAX_BYTES, Table
from sales.imports.values import Bad, Issue, Owners
from storage.models import User

Progress = Callable[[int, int, str], None]
UTC = ZoneInfo("UTC")


@dataclass
class Options:
    """How to read the file: kind, sheet, column corrections, which suspected duplicates to merge."""

    kind: str | None = None
    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # header → field ("" ignores the column)
    merge: frozenset[int] = frozenset()  # numbers of suspected duplicates to merge
    merge_all: bool = False
    move_owners: bool = False  # an owner cell naming another owner of an existing customer moves it
    region: str = "CN"
    tz: str = "Asia/Shanghai"
    max_bytes: int = MAX_BYTES  # the largest file read (SALESBOT_MAX_FILE_BYTES)


@dataclass(slots=True)
class RowResult:
    """What became of one input row."""

    row: int  # the row number in the sheet, as the user sees it
    outcome: str  # created | merged | unchanged | rejected
    into: str = ""  # for a merge: "row 2 华东科技有限公司" or "#12 华东科技有限公司"
    reasons: Sequence[Issue] = ()


@dataclass(slots=True)
class Suspect:
    """Two names that only look alike: listed for the user to merge or keep apart."""

    number: int
    row: int
    name: str
    other: str
    other_row: int | None  # another row of the file
    other_id: int | None  # a customer already in the database
    merged: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The look-alike as the summary and the batch's record show it."""
        return {"number": self.number, "row": self.row, "name": self.name, "other": self.other,
                "other_row": self.other_row, "other_id": self.other_id, "merged": self.merged}


@dataclass(slots=True)
class OwnerChange:
    """An existing customer whose sheet row names another owner: moved only when asked for."""

    row: int
    name: str
    old: str
    new: str
    moved: bool


@dataclass
class Plan:
    """An import's preview, and after apply its result."""

    file_name: str
    sha256: str
    kind: str
    sheet: str
    sheets: list[str]
    header_row: int
    columns: list[Column]
    results: list[RowResult] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    flagged: list[tuple[int, Issue]] = field(default_factory=list)
    unknown_owners: Counter[str] = field(default_factory=Counter)
    suspects: list[Suspect] = field(default_factory=list)
    owner_changes: list[OwnerChange] = field(default_factory=list)
    samples: list[dict[str, str]] = field(default_factory=list)
    blank_rows: int = 0
    applied: bool = False
    batch_id: int | None = None
    writes: Callable[[Session, Progress | None], None] | None = field(default=None, repr=False)
    table: Table | None = field(default=None, repr=False)

    @property
    def changes(self) -> int:
        """How many records the import creates or changes (0: importing changes nothing)."""
        return sum(n for k, n in self.counts.items() if k.endswith((".created", ".updated")))

    @property
    def rejected(self) -> list[RowResult]:
        """The rejected rows."""
        return [r for r in self.results if r.outcome == "rejected"]

    def summary(self, suspects: bool = True) -> dict[str, Any]:
        """A JSON-able summary (the --json output and the batch's record); `suspects` lists the look-alikes."""
        return {
            "file": self.file_name, "sheet": self.sheet, "kind": self.kind, "applied": self.applied,
            "batch": self.batch_id, "counts": dict(sorted(self.counts.items())), "blank_rows": self.blank_rows,
            "columns": [{"header": c.header, "field": c.field, "unit": str(c.unit)} for c in self.columns],
            "rows": [{"row": r.row, "outcome": r.outcome, "into": r.into,
                      "reasons": [i.code for i in r.reasons]} for r in self.results if r.outcome != "created"],
            "rejected": [{"row": r.row, "reasons": [{"code": i.code, "column": i.column, "value": i.value}
                                                    for i in r.reasons]} for r in self.rejected],
            "flagged": [{"row": row, "code": i.code, "column": i.column, "value": i.value} for row, i in self.flagged],
            "unknown_owners": dict(self.unknown_owners),
            "owner_changes": [{"row": o.row, "customer": o.name, "from": o.old, "to": o.new, "moved": o.moved}
                              for o in self.owner_changes],
            "suspects": [s.as_dict() for s in self.suspects] if suspects else [],
            "samples": self.samples,
        }


@dataclass
class Job:
    """Everything a planner needs about the file, the importer and the database."""

    session: Session
    table: Table
    columns: list[Column]
    by: User
    now: datetime
    options: Options
    owners: Owners
    plan: Plan
    progress: Progress | None = None
    scope: Any = None  # the customers the importer may see (a WHERE clause on Customer); None: all
    lead_scope: Any = None  # the leads they may see (on Lead); None: all

    @property
    def tz(self) -> ZoneInfo:
        """The importer's zone: dates in the sheet are local dates."""
        return ZoneInfo(self.options.tz)

    @property
    def today(self) -> date:
        """Today in the importer's zone (for 昨天)."""
        return self.now.astimezone(self.tz).date()

    def to_utc(self, when: date | datetime) -> datetime:
        """A sheet date (local midnight) or local datetime as a UTC instant."""
        local = when if isinstance(when, datetime) else datetime.combine(when, time())
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def tick(self, done: int, what: str) -> None:
        """Report progress every few thousand rows."""
        if self.progress is not None and (done % 5000 == 0 or done == len(self.table.rows)):
            self.progress(done, len(self.table.rows), what)


class Converter:
    """Converts the cells of recognized columns into typed values, with their refusals and flags."""

    def __init__(self, columns: list[Column], today: date, region: str) -> None:
        self.index = {c.field: c for c in columns if c.field}
        self.today = today
        self.region = region
        self._memo: dict[str, dict[Any, Read]] = {name: {} for name in self.index}

    def has(self, name: str) -> bool:
        """Whether the sheet has a column for this field."""
        return name in self.index

    def convert(self, name: str, raw: Any) -> Read:
        """(value, refusals, flags) of a non-empty cell, remembered per distinct cell of a column."""
        if _TYPES.get(name) in _UNIQUE or (raw.__class__ is float and (not raw or raw != raw)):
            return self._convert(name, raw)
        key = raw if raw.__class__ is str else (raw.__class__, raw)
        memo = self._memo[name]
        got = memo.get(key)
        if got is None:
            got = memo[key] = self._convert(name, raw)
        return got

    def _convert(self, name: str, raw: Any) -> Read:
        rejects: list[Issue] = []
        flags: list[Issue] = []
        value = self._read(raw, name, rejects, flags)
        return value, tuple(rejects), tuple(flags)

    def _read(self, raw: Any, name: str, rejects: list[Issue], flags: list[Issue]) -> Any:
        column = self.index[name]
        kind = _TYPES.get(name, "text")
        if isinstance(raw, str) and raw[:1] == "=" and kind in ("text", "name", "phone", "email"):
            flags.append(Issue("formula", column.header, raw[:60]))
        try:
            if kind == "text" or kind == "name":
                return values.long_text(raw)
            if kind == "amount":
                return values.amount(raw, column.unit)
            if kind == "date":
                return values.a_date(raw, self.today)
            if kind == "int":
                return values.integer(raw)
            if kind == "grade":
                return values.grade(raw)
            if kind == "phone":
                stored, flag = values.phone(raw, self.region)
                if flag:
                    flags.append(Issue(flag, column.header, str(stored)[:60]))
                return stored
            if kind == "email":
                stored, flag = values.email(raw)
                if flag:
                    flags.append(Issue(flag, column.header, str(stored)[:60]))
                return stored
            if kind == "tags":
                words = (values.text(raw) or "").replace(",", " ").replace("，", " ").replace("、", " ").split()
                return " ".join(dict.fromkeys(w.lstrip("#") for w in words if w.lstrip("#"))) or None
            return values.text(raw)
        except Bad as bad:
            rejects.append(Issue(bad.code, column.header, bad.value or str(raw)[:60]))
            return None



class RowReader(Converter):
    """Reads the mapped cells of the sheet's rows, a row or a column at a time."""

    def __init__(self, job: Job) -> None:
        super().__init__(job.columns, job.today, job.options.region)
        self.job = job
        self.formulas = job.table.formulas
        self._transposed: list[tuple[Any, ...]] | None = None

    def cells(self, i: int, row: list[Any]) -> dict[str, Any]:
        """The raw mapped cells of row i (formulas as typed), without empty ones."""
        out: dict[str, Any] = {}
        width = len(row)
        for name, c in self.index.items():
            if c.index < width:
                v = row[c.index]
                if v is not None and v != "":
                    out[name] = v
        if self.formulas:
            for name, c in self.index.items():
                f = self.formulas.get((i, c.index))
                if f is not None:
                    out[name] = f
        return out

    def read(self, cells: dict[str, Any], name: str, rejects: list[Issue], flags: list[Issue]) -> Any:
        """One field's value; a refusal goes to `rejects`, a kept-as-typed value to `flags`."""
        raw = cells.get(name)
        if raw is None:
            return None
        value, refused, flagged = self.convert(name, raw)
        if refused:
            rejects += refused
        if flagged:
            flags += flagged
        return value

    def column(self, name: str) -> list[Read | None]:
        """convert() of a field's cell in each row (None where the cell is empty or missing)."""
        cells = self._cells(self.index[name].index)
        if _TYPES.get(name) in _UNIQUE:
            return [None if v is None or v == "" else self._convert(name, v) for v in cells]
        memo: dict[Any, Read | None] = {
            v: self.convert(name, v) for v in dict.fromkeys(cells) if v.__class__ is str and v != ""}
        out = list(map(memo.get, cells))  # other cells (None, "", numbers, dates) are None here
        types = list(map(type, cells))
        if set(types) <= {str, type(None)}:
            return out
        # Numbers and dates: each distinct one (by type too: 1 and 1.0 and True differ) converted once.
        typed = list(zip(types, cells, strict=True))
        done: dict[tuple[type, Any], Read] = {}
        odd = False
        for k in dict.fromkeys(typed):
            kind, v = k
            if kind is str or v is None:
                continue
            if kind is float and (not v or v != v):  # 0.0 equals -0.0, NaN nothing: these go one by one
                odd = True
                continue
            done[k] = self.convert(name, v)
        out = list(map(done.get, typed, out))
        if odd:
            out = [self.convert(name, v) if v.__class__ is float and (not v or v != v) else got
                   for v, got in zip(cells, out, strict=True)]
        return out

    def _cells(self, at: int) -> Sequence[Any]:
        """The sheet's column `at`, a cell per row (None past a short row's end)."""
        if self._transposed is None:
            rows = self.job.table.rows
            width = max(map(len, rows), default=0)
            if len(set(map(len, rows))) > 1:
                rows = [row + [None] * (width - len(row)) for row in rows]
            self._transposed = list(zip(*rows, strict=True))
        return self._transposed[at] if at < len(self._transposed) else [None] * len(self.job.table.rows)


Read = tuple[Any, tuple[Issue, ...], tuple[Issue, ...]]
_UNIQUE = ("name", "phone", "email")  # kinds whose cells rarely repeat: not remembered
_TYPES = {name: spec[0] for name, spec in FIELDS.items()}


def shown(value: Any) -> str:
    """A stored value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)
