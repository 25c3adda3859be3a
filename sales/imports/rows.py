"""Reading the rows of a customer sheet into records: the per-row hot path of a large import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sales.customers import MAX_NAME
from sales.imports.plan import Job, Read, RowReader, RowResult
from sales.imports.read import BadFile
from sales.imports.values import Issue, name_parts
from sales.names.pinyin import romanize
from storage.models import User

CUSTOMER_FIELDS = ("industry", "size", "source", "grade", "tags", "needs", "status", "past_revenue")
CONTACT_FIELDS = ("contact", "title", "phone", "email")
_BAD_PHONE = ("bad_phone", "email_in_phone")
_OWNER_PROBLEMS = ("unknown_owner", "ambiguous_owner")
_EMPTY: tuple[None, tuple[Issue, ...], tuple[Issue, ...]] = (None, (), ())
_NO_NAME = ("", "", "", "")


@dataclass(slots=True)
class Rec:
    """One accepted row of a customer sheet."""

    i: int
    row: int
    name: str
    key: str  # merge key
    nkey: str  # names.name_key, computed once (it is the costly part of a row)
    shown_key: str  # name_key of `name` as shown (spacing tidied): the same but for odd spacing
    values: dict[str, Any]
    last: datetime | None
    owner: User | None
    contact: dict[str, Any] | None
    phone_ok: str | None = None
    email_ok: str | None = None


def read_rows(job: Job) -> tuple[list[Rec], Callable[[], dict[str, tuple[str, str]]]]:
    """Read every row (rejected rows are recorded on the plan), and how to get the pinyin and initials of
    their name keys (worked out once, when first wanted)."""
    rr = RowReader(job)
    if not rr.has("name"):
        raise BadFile("no_name_column", headers="、".join(str(h) for h in job.table.headers if h not in (None, ""))[:300])
    plan, recs = job.plan, []
    first = job.table.first_row
    index = rr.index
    rows = job.table.rows
    formulas = {f: [(i, formula) for (i, at), formula in job.table.formulas.items() if at == c.index and i < len(rows)]
                for f, c in index.items()}

    def read_column(f: str) -> list[Read | None]:
        cells = rr.column(f)
        for i, formula in formulas[f]:
            cells[i] = rr.convert(f, formula)
        return cells

    names = read_column("name")
    keys = {n: name_parts(n) for got in names if got is not None and (n := got[0])}
    romanized = _romanized({parts[0] for parts in keys.values()})
    columns = {"name": names} | {f: read_column(f) for f in index if f != "name"}
    fields = [(f, columns[f]) for f in CUSTOMER_FIELDS if f in index]
    lasts = columns.get("last_contact")
    contact_fields = [(f, columns[f]) for f in CONTACT_FIELDS if f in index]
    owners = columns.get("owner")
    owner_header = index["owner"].header if owners is not None else ""
    everything = list(columns.values())
    match, to_utc = job.owners.match, _Instants(job).get
    matched: dict[str, tuple[User | None, str | None]] = {}  # owner cell → its match, looked up once
    tick = job.tick if job.progress is not None else None
    for i in range(len(rows)):
        if tick is not None:
            tick(i + 1, "read")
        got = names[i]
        if got is None and all(c[i] is None for c in everything):
            plan.blank_rows += 1
            continue
        name, refused, flagged = got if got is not None else _EMPTY
        rejects: list[Issue] = list(refused)
        flags: list[Issue] = list(flagged)
        nkey, key, shown, shown_key = keys[name] if name else _NO_NAME
        if not name or not key:
            rejects.insert(0, Issue("no_name"))
        elif len(name) > MAX_NAME:
            rejects.insert(0, Issue("name_too_long", value=name[:60]))
        vals: dict[str, Any] = {}
        for f, column in fields:
            got = column[i]
            if got is None:
                continue
            value, refused, flagged = got
            if refused:
                rejects += refused
            if flagged:
                flags += flagged
            if value is not None:
                vals[f] = value
        last = None
        if lasts is not None and (got := lasts[i]) is not None:
            last, refused, flagged = got
            if refused:
                rejects += refused
            if flagged:
                flags += flagged
        contact = None
        if contact_fields:
            c: dict[str, Any] = {}
            filled = False
            for f, column in contact_fields:
                got = column[i]
                if got is None:
                    continue
                c[f], refused, flagged = got
                filled = filled or got[0] is not None
                if refused:
                    rejects += refused
                if flagged:
                    flags += flagged
            if filled:
                contact = c
        owner = None
        if owners is not None and (got := owners[i]) is not None:
            owner_name, refused, flagged = got
            if refused:
                rejects += refused
            if flagged:
                flags += flagged
            if owner_name:
                owner, problem = matched.get(owner_name) or matched.setdefault(owner_name, match(owner_name))
                if problem:
                    flags.append(Issue(problem, owner_header, owner_name))
        if rejects:
            plan.results.append(RowResult(first + i, "rejected", reasons=rejects))
            continue
        assert name is not None
        if flags:
            plan.flagged += [(first + i, issue) for issue in flags]
            for issue in flags:
                if issue.code in _OWNER_PROBLEMS:
                    plan.unknown_owners[issue.value] += 1
        rec = Rec(i, first + i, shown, key, nkey, shown_key, vals, to_utc(last),
                  owner, contact)
        if contact is not None:
            phone, mail = contact.get("phone"), contact.get("email")
            if not flags:  # the common case: nothing flagged, both as read
                contact["flags"] = ""
                rec.phone_ok, rec.email_ok = phone or None, mail or None
            else:
                bad_phone = any(issue.code in _BAD_PHONE for issue in flags)
                bad_mail = any(issue.code == "bad_email" for issue in flags)
                contact["flags"] = " ".join(w for w, bad in (("email", bad_mail), ("phone", bad_phone)) if bad)
                rec.phone_ok = phone if phone and not bad_phone else None
                rec.email_ok = mail if mail and not bad_mail else None
        recs.append(rec)
    return recs, romanized


def _romanized(keys: set[str]) -> Callable[[], dict[str, tuple[str, str]]]:
    """Pinyin and initials of each key, worked out when first wanted."""

    @cache
    def spelled() -> dict[str, tuple[str, str]]:
        return {k: romanize(k) for k in keys}

    return spelled


class _Instants:
    """Sheet dates as UTC instants, converted once per distinct date."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.seen: dict[tuple[type, date | datetime], datetime] = {}

    def get(self, when: date | datetime | None) -> datetime | None:
        """The UTC instant of a local sheet date or datetime (None stays None)."""
        if when is None:
            return None
        key = (when.__class__, when)
        got = self.seen.get(key)
        if got is None:
            got = self.seen[key] = self.job.to_utc(when)
        return got
