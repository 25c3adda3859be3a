"""Planning a lead sheet: scored, de-duplicated by phone, email or company, SQL leads assigned in turn."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from sales import leads as lead_rules
from sales.imports.plan import Job, Progress, RowResult
from sales.imports.records import owned_rows
from sales.imports.values import Issue
from sales.imports.write import bulk_insert, bulk_update
from sales.names.dedupe import company_key
from sales.sources import canonical
from storage.models import Lead


def plan_leads(job: Job) -> None:
    """Plan a lead sheet: scored, de-duplicated by phone, email or company, SQL leads assigned in turn."""
    session, plan, now, by = job.session, job.plan, job.now, job.by
    fields = ("contact", "phone", "email", "source", "budget", "size", "engagement")
    rows = owned_rows(job, fields)
    scoring = lead_rules.scoring_for(session, by.team_id)
    old = lead_rules.leads_matching(
        session, keys={company_key(v["name"]) for _, v, _, _ in rows},
        phones={v["phone"] for _, v, _, f in rows if v.get("phone") and not _flagged(f, "phone")},
        emails={v["email"] for _, v, _, f in rows if v.get("email") and not _flagged(f, "email")},
        scope=job.lead_scope)  # a lead the importer may not see is not found: the row is a new lead
    turn = lead_rules.RoundRobin(session, by.team_id)
    new: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    index: dict[tuple[str, str], dict[str, Any] | Lead] = {}
    for lead in old:
        for sig in _signals(lead.company_key, lead.phone, lead.email, lead.flags):
            index.setdefault(sig, lead)
    for row, vals, owner, flags in rows:
        key = company_key(vals["name"])
        bad = " ".join(sorted({"phone" for f in flags if f.code in ("bad_phone", "email_in_phone")}
                              | {"email" for f in flags if f.code == "bad_email"}))
        fields_: dict[str, Any] = dict(company=" ".join(vals["name"].split()), company_key=key, person=vals.get("contact"),
                       phone=vals.get("phone"), email=vals.get("email"), source=canonical(vals.get("source")),
                       budget=vals.get("budget"), size=vals.get("size"), engagement=vals.get("engagement") or 0,
                       flags=bad)
        match = next((index[s] for s in _signals(key, fields_["phone"], fields_["email"], bad) if s in index), None)
        if isinstance(match, dict):
            plan.results.append(RowResult(row, "merged", into=f"row {match['_row']} {match['company']}"))
            plan.counts["lead.merged"] += 1
            continue
        if isinstance(match, Lead):
            change = {k: v for k, v in fields_.items()
                      if k not in ("company", "company_key") and v not in (None, "", 0) and v != getattr(match, k)}
            if change:
                points = lead_rules.score_fields(scoring, **_lead_fields({**_lead_fields(match), **change}))
                change.update(score=points, updated_at=now, id=match.id)
                updates.append(change)
            plan.results.append(RowResult(row, "merged" if change else "unchanged", into=f"lead #{match.id}"))
            plan.counts["lead.merged" if change else "lead.unchanged"] += 1
            continue
        points = lead_rules.score_fields(scoring, **_lead_fields(fields_))
        status = lead_rules.status_for(points, scoring)
        who = owner
        if status == "SQL" and who is None:
            who = turn.next()
        rec = dict(fields_, _row=row, team_id=(who or by).team_id, score=points, status=status,
                   owner_id=who.id if who else None, assigned_at=now if who else None, consent_basis="consent",
                   created_at=now, updated_at=now)
        new.append(rec)
        for sig in _signals(key, fields_["phone"], fields_["email"], bad):
            index.setdefault(sig, rec)
        plan.results.append(RowResult(row, "created"))
        if len(plan.samples) < 10:
            plan.samples.append({"row": str(row), "company": rec["company"], "person": rec["person"] or "",
                                 "score": str(points), "status": status, "owner": who.name if who else ""})
    plan.counts["lead.created"] = len(new)
    plan.counts["lead.updated"] = len(updates)
    plan.results.sort(key=lambda r: r.row)

    def write(session: Session, progress: Progress | None) -> None:
        bulk_insert(session, Lead, [{k: v for k, v in r.items() if k != "_row"} for r in new], progress, "leads")
        bulk_update(session, Lead, updates)
        turn.save()
        lead_rules.remind_new_sql(session, now=now)

    plan.writes = write


def _flagged(flags: list[Issue], what: str) -> bool:
    codes = {f.code for f in flags}
    return bool(codes & ({"bad_phone", "email_in_phone"} if what == "phone" else {"bad_email"}))


def _signals(key: str, phone: str | None, email: str | None, bad: str) -> list[tuple[str, str]]:
    out = [("k", key)]
    if phone and "phone" not in bad:
        out.append(("p", phone))
    if email and "email" not in bad:
        out.append(("e", email))
    return out


def _lead_fields(src: Any) -> dict[str, Any]:
    get = src.get if isinstance(src, dict) else lambda k: getattr(src, k)
    return {k: get(k) for k in ("source", "size", "budget", "engagement")}
