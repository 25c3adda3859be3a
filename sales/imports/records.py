"""Planning activity (follow-up record) and deal sheets (lead sheets: sales/imports/leads.py)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from sales.activities import due_instant
from sales.customers import MAX_NAME
from sales.imports.plan import Job, Progress, RowReader, RowResult, Suspect, shown
from sales.imports.read import BadFile
from sales.imports.values import Issue, activity_kind, is_done
from sales.imports.write import bulk_insert, bulk_update, reserve_ids
from sales.names import name_key
from sales.names.dedupe import chunks, company_key, customers_by_key, rows_by_id, suspects
from sales.names.pinyin import romanize
from storage.models import Activity, Customer, Deal, FollowUp, Stage, StageChange, User


def owned_rows(job: Job, fields: tuple[str, ...]) -> list[tuple[int, dict[str, Any], User | None, list[Issue]]]:
    """Accepted rows as (row number, values, owner, flags); rejected rows go on the plan."""
    rr = RowReader(job)
    if not rr.has("name"):
        raise BadFile("no_name_column", headers="、".join(str(h) for h in job.table.headers if h not in (None, "")))
    plan, out = job.plan, []
    for i, row in enumerate(job.table.rows):
        job.tick(i + 1, "read")
        cells = rr.cells(i, row)
        if not cells:
            plan.blank_rows += 1
            continue
        rejects: list[Issue] = []
        flags: list[Issue] = []
        vals = {f: rr.read(cells, f, rejects, flags) for f in ("name", *fields) if f in cells}
        name = vals.get("name")
        if not name or not company_key(name):
            rejects.insert(0, Issue("no_name"))
        elif len(name) > MAX_NAME:
            rejects.insert(0, Issue("name_too_long", value=name[:60]))
        owner = None
        owner_name = rr.read(cells, "owner", rejects, flags) if "owner" in cells else None
        if owner_name:
            owner, problem = job.owners.match(owner_name)
            if problem:
                flags.append(Issue(problem, rr.index["owner"].header, owner_name))
        vals["_raw_kind"] = cells.get("activity_kind")
        if rejects:
            plan.results.append(RowResult(job.table.first_row + i, "rejected", reasons=rejects))
            continue
        plan.flagged += [(job.table.first_row + i, f) for f in flags]
        for f in flags:
            if f.code in ("unknown_owner", "ambiguous_owner"):
                plan.unknown_owners[f.value] += 1
        out.append((job.table.first_row + i, {k: v for k, v in vals.items() if v is not None}, owner, flags))
    return out


class _Customers:
    """Customers named by rows of an activity or deal sheet: found by key, or created once per key."""

    def __init__(self, job: Job, named: list[tuple[int, str, User | None]]) -> None:
        self.job = job
        keys = {company_key(n): (row, n, owner) for row, n, owner in reversed(named)}
        self.db = customers_by_key(job.session, keys, job.scope)
        self.new: dict[str, dict[str, Any]] = {}
        fresh = [(row, n, k, romanize(name_key(n))[0]) for k, (row, n, _) in sorted(keys.items()) if k not in self.db]
        q = select(col(Customer.id), col(Customer.name), col(Customer.name_key), col(Customer.pinyin))
        old = [(int(i), n, k, p) for i, n, k, p in job.session.execute(
            q if job.scope is None else q.where(job.scope)).all()] if fresh else []
        by_row = {row: k for row, _, k, _ in fresh}
        names = {i: n for i, n, _, _ in old}
        for a, b, b_old in suspects(fresh, old) if old else []:
            if not b_old:
                continue
            s = Suspect(number=len(job.plan.suspects) + 1, row=a, name=keys[by_row[a]][1], other=names[b],
                        other_row=None, other_id=b)
            s.merged = job.options.merge_all or s.number in job.options.merge
            job.plan.suspects.append(s)
            if s.merged:
                self.db.setdefault(by_row[a], b)
        for k, (_row, n, owner) in sorted(keys.items()):
            if k not in self.db:
                who = owner or job.by
                py, ini = romanize(name_key(n))
                self.new[k] = dict(team_id=who.team_id, name=" ".join(n.split()), name_key=name_key(n), pinyin=py,
                                   initials=ini, grade="B", tags="", owner_id=who.id, status="active",
                                   created_at=job.now, updated_at=job.now)
        job.plan.counts["customer.created"] += len(self.new)
        self.ids: dict[str, int] = {}

    def existing(self, key: str) -> int | None:
        """The database customer a key names, if any."""
        return self.db.get(key)

    def write(self, session: Session, progress: Progress | None) -> dict[str, int]:
        """Insert the new customers; every key's customer id."""
        rows = list(self.new.values())
        for cid, (k, row) in zip(reserve_ids(session, "customer", len(rows)), self.new.items(), strict=True):
            row["id"] = cid
            self.ids[k] = cid
        bulk_insert(session, Customer, rows, progress, "customers")
        return {**self.db, **self.ids}


def plan_activities(job: Job) -> None:
    """Plan a follow-up record sheet: each done or answered row an activity, each open one a follow-up."""
    session, plan, now, tz = job.session, job.plan, job.now, job.tz
    fields = ("at", "activity_kind", "summary", "feedback", "next_step", "done", "next_followup", "duration")
    has_done = any(c.field == "done" for c in job.columns)
    rows = []
    for row, vals, owner, _flags in owned_rows(job, fields):
        if "at" not in vals and "next_followup" not in vals:
            plan.results.append(RowResult(row, "rejected", reasons=[Issue("no_date")]))
            continue
        rows.append((row, vals, owner))
    custs = _Customers(job, [(row, v["name"], owner) for row, v, owner in rows])
    known_ids = sorted(set(custs.db.values()))
    seen_acts = _existing(session, Activity, known_ids, ("customer_id", "kind", "at", "summary"))
    seen_fus = _existing(session, FollowUp, known_ids, ("customer_id", "due_at", "what"))
    seen_tasks = {(c, w) for c, _, w in seen_fus}
    last_seen = {c.id: c.last_contact_at for c in rows_by_id(session, Customer, known_ids).values()}
    acts: list[tuple[str, dict[str, Any]]] = []
    fus: list[tuple[str, dict[str, Any]]] = []
    lasts: dict[str, datetime] = {}
    for row, vals, owner in rows:
        key = company_key(vals["name"])
        cid = custs.existing(key)
        who = owner or job.by
        done = is_done(vals.get("done")) if has_done else True
        kind, _known = activity_kind(vals.get("_raw_kind"))
        summary = vals.get("summary") or vals.get("next_step") or vals.get("feedback") or kind
        made = False
        if "at" in vals and (done or vals.get("feedback")):
            at = job.to_utc(vals["at"])
            ident = (cid, kind, at, summary)
            if ident not in seen_acts:
                seen_acts.add(ident)
                acts.append((key, dict(user_id=who.id, kind=kind, at=at, summary=summary, duration_min=vals.get("duration"),
                                       feedback=vals.get("feedback"), next_step=vals.get("next_step"), created_at=now)))
                made = True
            if lasts.get(key) is None or at > lasts[key]:
                lasts[key] = at
        # The sheet says a row is open only in its status column; a past row not said open is history.
        said_open = has_done and not done and bool(str(vals.get("done") or "").strip())
        due_day = vals.get("next_followup") or _relative_day(vals.get("next_step") or summary, vals.get("at"))
        if due_day is None and said_open:
            due_day = vals.get("at")
        if due_day is not None:
            day = due_day.date() if isinstance(due_day, datetime) else due_day
            due, has_time = due_instant(due_day if isinstance(due_day, datetime) else day, tz)
            what = (vals.get("next_step") or summary)[:300]
            if due < now and not said_open:
                if not made:  # a planned contact that is past: history (a done activity), not a task
                    at = job.to_utc(vals["at"]) if "at" in vals else due
                    ident = (cid, kind, at, summary)
                    if ident not in seen_acts:
                        seen_acts.add(ident)
                        acts.append((key, dict(user_id=who.id, kind=kind, at=at, summary=summary,
                                               next_step=vals.get("next_step"), created_at=now)))
                        made = True
                    if lasts.get(key) is None or at > lasts[key]:
                        lasts[key] = at
                due_day = None
            else:
                ident2: tuple[Any, ...] = (cid, due, what)
                if due < now:  # open in the sheet but dated in the past: due now, never in the past
                    ident2 = (cid, None, what)  # once per customer and task, whenever it is imported again
                    due, has_time = now, False
                if ident2 not in seen_fus and (ident2[1] is not None or (cid, what) not in seen_tasks):
                    seen_fus.add(ident2)
                    seen_tasks.add((cid, what))
                    fus.append((key, dict(owner_id=who.id, due_at=due, has_time=has_time, what=what,
                                          reason="manual", status="open", created_at=now)))
                    made = True
        plan.results.append(RowResult(row, "created" if made else "unchanged",
                                      into="" if made else f"#{cid} {vals['name']}"))
        if len(plan.samples) < 10 and made:
            plan.samples.append({"row": str(row), "customer": vals["name"], "kind": kind, "summary": summary[:80],
                                 "at": shown(vals.get("at")), "follow_up": shown(due_day), "owner": who.name})
    plan.counts["activity.created"] = len(acts)
    plan.counts["followup.created"] = len(fus)
    contact_updates = []
    for key, at in lasts.items():
        cid = custs.existing(key)
        if cid is None:
            custs.new[key]["last_contact_at"] = at
        elif (seen_at := last_seen.get(cid)) is None or at > seen_at:
            contact_updates.append({"id": cid, "last_contact_at": at})
    plan.counts["customer.updated"] += len(contact_updates)
    plan.results.sort(key=lambda r: r.row)

    def write(session: Session, progress: Progress | None) -> None:
        ids = custs.write(session, progress)
        bulk_insert(session, Activity, [{**a, "customer_id": ids[k]} for k, a in acts], progress, "activities")
        bulk_insert(session, FollowUp, [{**f, "customer_id": ids[k]} for k, f in fus], progress, "follow-ups")
        bulk_update(session, Customer, contact_updates)

    plan.writes = write


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE = re.compile(r"(大后天|后天|明天|下(?:个)?(?:周|星期|礼拜)([一二三四五六日天])?|下个?月|(\d{1,2})\s*(天|周)后"
                       r"|(\d{1,2})月(\d{1,2})[日号]|tomorrow|next week|in (\d{1,2}) days)", re.IGNORECASE)


def _relative_day(text: str | None, base: date | datetime | None) -> date | None:
    """A follow-up day written relative to the row's own date (下周电话跟进, 3天后, 10月25日前, next week)."""
    if not text or base is None:
        return None
    m = _RELATIVE.search(text)
    if m is None:
        return None
    day = base.date() if isinstance(base, datetime) else base
    word = m.group(1).lower()
    shift = {"明天": 1, "后天": 2, "大后天": 3, "tomorrow": 1}.get(word)
    if shift is not None:
        return day + timedelta(days=shift)
    if word.startswith("下") and "月" in word:
        month = day.month % 12 + 1
        year = day.year + (day.month == 12)
        return date(year, month, min(day.day, 28))
    if word.startswith("下") or word == "next week":
        monday = day - timedelta(days=day.weekday()) + timedelta(days=7)
        return monday + timedelta(days=_WEEKDAYS.get(m.group(2) or "一", 0))
    if m.group(3):
        return day + timedelta(days=int(m.group(3)) * (7 if m.group(4) == "周" else 1))
    if m.group(7):
        return day + timedelta(days=int(m.group(7)))
    try:
        found = date(day.year, int(m.group(5)), int(m.group(6)))
    except ValueError:
        return None
    return found if found >= day else found.replace(year=day.year + 1)


def _existing(session: Session, model: Any, customer_ids: list[int], cols: tuple[str, ...]) -> set[tuple[Any, ...]]:
    """Identity tuples of the records these customers already have (to import each only once)."""
    out: set[tuple[Any, ...]] = set()
    columns = [getattr(model, c) for c in cols]
    for part in chunks(customer_ids):
        for r in session.execute(select(*columns).where(col(model.customer_id).in_(part))).all():
            out.add(tuple(r))
    return out


def plan_deals(job: Job) -> None:
    """Plan a deal sheet: one deal per customer and title; existing deals take the sheet's amounts."""
    session, plan, now = job.session, job.plan, job.now
    stages = list(session.exec(select(Stage).order_by(col(Stage.position))).all())
    by_word = {w: s for s in stages for w in (s.key, s.name_en.casefold(), s.name_zh)}
    fields = ("deal_title", "amount", "stage", "probability", "expected_close", "lost_reason", "budget")
    rows = []
    for row, vals, owner, _ in owned_rows(job, fields):
        stage = stages[0]
        problems = []
        if vals.get("stage"):
            found = by_word.get(str(vals["stage"]).strip().casefold())
            if found is None:
                problems.append(Issue("bad_stage", "stage", str(vals["stage"])[:60]))
            else:
                stage = found
        prob = vals.get("probability")
        if prob is not None and not 0 <= prob <= 100:
            problems.append(Issue("bad_probability", "probability", str(prob)))
        if problems:
            plan.results.append(RowResult(row, "rejected", reasons=problems))
            continue
        rows.append((row, vals, owner, stage))
    custs = _Customers(job, [(row, v["name"], owner) for row, v, owner, _ in rows])
    known = sorted(set(custs.db.values()))
    old: dict[tuple[int, str], Deal] = {}
    for part in chunks(known):
        for d in session.scalars(select(Deal).where(col(Deal.customer_id).in_(part))).all():
            old.setdefault((d.customer_id, d.title.casefold()), d)
    new: list[tuple[str, dict[str, Any]]] = []
    updates: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for row, vals, owner, stage in rows:
        key = company_key(vals["name"])
        title = (vals.get("deal_title") or vals["name"])[:200]
        cid = custs.existing(key)
        if (key, title.casefold()) in seen:
            plan.results.append(RowResult(row, "merged", into=title))
            plan.counts["deal.merged"] += 1
            continue
        seen.add((key, title.casefold()))
        values = dict(amount=vals.get("amount"), stage=stage.key,
                      probability=vals["probability"] if vals.get("probability") is not None else stage.probability,
                      expected_close=_day(vals.get("expected_close")), lost_reason=vals.get("lost_reason"),
                      budget=vals.get("budget"))
        deal = old.get((cid, title.casefold())) if cid is not None else None
        if deal is None:
            who = owner or job.by
            new.append((key, dict(title=title, owner_id=who.id, created_at=now, updated_at=now,
                                  closed_at=now if stage.closed else None, **values)))
            plan.results.append(RowResult(row, "created"))
            if len(plan.samples) < 10:
                plan.samples.append({"row": str(row), "customer": vals["name"], "title": title, "stage": stage.key,
                                     "amount": shown(values["amount"]), "owner": who.name})
            continue
        change = {k: v for k, v in values.items() if v is not None and v != getattr(deal, k)}
        if change.get("stage") and _rules_unmet(session, deal, stage, change):
            # A sheet moves a deal forward by the rules chat keeps (a new deal is history and comes as typed).
            del change["stage"]
            change.pop("probability", None)
            plan.flagged.append((row, Issue("stage_rules", "stage", str(vals["stage"])[:60])))
            plan.counts["deal.stage_kept"] += 1
        if change.get("stage"):
            moves.append(dict(deal_id=deal.id, from_stage=deal.stage, to_stage=change["stage"], by_id=job.by.id,
                              at=now))
        if change:
            updates.append({**change, "id": deal.id, "updated_at": now})
        plan.results.append(RowResult(row, "merged" if change else "unchanged", into=f"#{deal.id} {deal.title}"))
    plan.counts["deal.created"] = len(new)
    plan.counts["deal.updated"] = len(updates)
    plan.results.sort(key=lambda r: r.row)

    def write(session: Session, progress: Progress | None) -> None:
        ids = custs.write(session, progress)
        deal_ids = reserve_ids(session, "deal", len(new))
        rows_ = [{**d, "id": i, "customer_id": ids[k]} for i, (k, d) in zip(deal_ids, new, strict=True)]
        bulk_insert(session, Deal, rows_, progress, "deals")
        bulk_insert(session, StageChange, [dict(deal_id=r["id"], from_stage=None, to_stage=r["stage"],
                                                by_id=job.by.id, at=now) for r in rows_] + moves)
        bulk_update(session, Deal, updates)

    plan.writes = write


def _rules_unmet(session: Session, deal: Deal, to: Stage, change: dict[str, Any]) -> bool:
    """Whether moving `deal` to `to` would pass a stage whose entry rules it does not meet (the sheet's own
    qualification values count)."""
    from sales import pipeline

    before = {f: getattr(deal, f) for f in pipeline.QUALIFY_FIELDS}
    for f in pipeline.QUALIFY_FIELDS:
        if change.get(f) is not None:
            setattr(deal, f, change[f])
    try:
        return bool(pipeline.missing_for(session, deal, to))
    finally:
        for f, v in before.items():
            setattr(deal, f, v)


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value
