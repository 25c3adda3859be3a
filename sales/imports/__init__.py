"""Spreadsheet import: read, recognize columns, plan (the preview), apply in one transaction.

Callers use only what this module exports; its submodules are its own (an import-linter contract).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlmodel import Session, col, select

from sales import access, audit
from sales.imports.columns import KINDS, field_names, sheet_columns
from sales.imports.customers import plan_customers
from sales.imports.leads import plan_leads
from sales.imports.plan import Job, Options, OwnerChange, Plan, Progress, RowResult, Suspect
from sales.imports.read import BadFile, read_table
from sales.imports.records import plan_activities, plan_deals
from sales.imports.values import FORMULA_START, Issue, Owners
from sales.imports.values import email as read_email
from sales.imports.values import phone as read_phone
from storage import locks
from storage.models import ImportBatch, User

__all__ = [
    "FORMULA_START", "BadFile", "Issue", "Options", "OwnerChange", "Plan", "RowResult", "Suspect", "apply", "import_file",
    "parse_mapping", "preview", "read_email", "read_phone",
]

_PLANNERS = {"customers": plan_customers, "activities": plan_activities, "deals": plan_deals, "leads": plan_leads}


@contextmanager
def _bulk() -> Iterator[None]:
    """The cyclic garbage collector paused while an import builds its many small objects."""
    # Its passes over the growing heap would cost a third of a large import; reference counting still frees.
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`列名=field` corrections (`列名=` ignores a column); BadFile('bad_mapping') when unreadable."""
    out: dict[str, str] = {}
    known = set(field_names())
    for pair in pairs:
        header, sep, name = pair.replace("＝", "=").rpartition("=")
        name = name.strip()
        if not sep or not header.strip() or (name and name not in known):
            raise BadFile("bad_mapping", value=pair, fields=", ".join(field_names()))
        out[header.strip()] = name
    return out


def preview(
    session: Session, *, data: bytes, file_name: str, by: User, now: datetime, options: Options | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Read the file and plan the import without writing anything (a dry run)."""
    with _bulk():
        return _preview(session, data, file_name, by, now, options or Options(), progress)


def _preview(session: Session, data: bytes, file_name: str, by: User, now: datetime, options: Options,
             progress: Progress | None) -> Plan:
    if options.kind is not None and options.kind not in KINDS:
        raise BadFile("unknown_kind", kinds=", ".join(KINDS))
    table = read_table(data, file_name, options.sheet, options.max_bytes, options.limits)
    kind, columns = sheet_columns(table.headers, options.kind, options.mapping, table.sheet, file_name)
    if not any(c.field == "name" for c in columns):
        raise BadFile("no_name_column",
                      headers="、".join(str(h) for h in table.headers if h not in (None, ""))[:300] or "—")
    plan = Plan(file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), kind=kind, sheet=table.sheet,
                sheets=table.sheets, header_row=table.header_row, columns=columns, table=table)
    admin = by.role in access.ADMINS and by.active
    job = Job(session=session, table=table, columns=columns, by=by, now=now, options=options,
              owners=Owners(assignable(session, by)), plan=plan, progress=progress,
              scope=None if admin else access.customer_scope(by), lead_scope=None if admin else access.lead_scope(by))
    _PLANNERS[kind](job)
    plan.counts["rejected"] = len(plan.rejected)
    plan.counts["flagged"] = len(plan.flagged)
    return plan


def assignable(session: Session, by: User) -> list[User]:
    """Whom an import by `by` may name as an owner: anyone for an admin, their team for a manager, else themselves.
    A name outside reads as an unknown owner (it reveals nobody)."""
    q = select(User).where(col(User.active))
    if by.role not in access.ADMINS:
        q = q.where(col(User.team_id) == by.team_id) if by.role in access.MANAGERS and by.team_id is not None \
            else q.where(col(User.id) == by.id)
    return list(session.exec(q.order_by(col(User.id))).all())


def apply(session: Session, plan: Plan, *, by: User, now: datetime, progress: Progress | None = None) -> Plan:
    """Write a planned import in the caller's transaction; a plan that changes nothing writes nothing."""
    if plan.applied:
        return plan
    if plan.changes and plan.writes is not None:
        with _bulk():
            plan.writes(session, progress)
            plan.writes = None  # written once: its rows can go
            batch = ImportBatch(user_id=by.id or 0, file_name=plan.file_name[:200], sha256=plan.sha256,
                                kind=plan.kind, sheet=plan.sheet, status="applied", created_at=now, applied_at=now)
            session.add(batch)
            session.flush()
            plan.batch_id = batch.id
            batch.summary = json.dumps(_record(plan), ensure_ascii=False, default=str)
            audit.record(session, by=by.id, action="import", entity="importbatch", entity_id=batch.id, now=now,
                         after={"file": plan.file_name, "kind": plan.kind, "counts": dict(plan.counts)})
    plan.applied = True
    return plan


def _record(plan: Plan) -> dict[str, object]:
    """What the batch keeps: the summary without samples, and of the look-alikes only those merged."""
    # A large sheet can list a hundred thousand look-alikes; the ones kept apart changed nothing.
    kept = {k: v for k, v in plan.summary(suspects=False).items() if k not in ("samples", "suspects")}
    kept["suspects_listed"] = len(plan.suspects)
    kept["suspects_merged"] = [s.as_dict() for s in plan.suspects if s.merged]
    return kept


def import_file(
    session: Session, *, data: bytes, file_name: str, by: User, now: datetime, options: Options | None = None,
    dry_run: bool = False, progress: Progress | None = None,
) -> Plan:
    """Preview, and unless `dry_run` apply, in the caller's transaction."""
    if dry_run:
        return preview(session, data=data, file_name=file_name, by=by, now=now, options=options, progress=progress)
    with _bulk():  # one pause for both steps
        locks.named(session, locks.DEDUPE)  # its duplicate checks and inserts as one step among concurrent turns
        plan = _preview(session, data, file_name, by, now, options or Options(), progress)
        return apply(session, plan, by=by, now=now, progress=progress)
