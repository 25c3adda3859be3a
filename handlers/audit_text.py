"""Audit entries as sentences in the reader's language: "alice 把阶段从 潜在 改为 已确认", with money, dates,
stages, people and statuses formatted, never raw stored values (no None, no dicts)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from handlers.fmt import day, moment, money, pct
from handlers.i18n import N_, tr
from handlers.markup import esc
from storage.models import AuditLog, Stage

ENTITIES = {
    "deal": N_("deal"), "quote": N_("quote"), "order": N_("order"), "customer": N_("customer"),
    "contact": N_("contact"), "activity": N_("activity"), "followup": N_("follow-up"), "lead": N_("lead"),
    "team": N_("team"), "user": N_("user"), "target": N_("target"), "invite": N_("invite"),
    "invoice": N_("invoice"), "importbatch": N_("import"), "leadscoring": N_("lead scoring"), "retention": N_("retention"),
    "ticket": N_("ticket"), "tickettarget": N_("ticket targets"),
}
FIELDS = {
    "amount": N_("amount"), "title": N_("title"), "stage": N_("stage"), "lost_reason": N_("lost reason"),
    "grade": N_("grade"), "tags": N_("tags"), "budget": N_("budget"), "decision_maker": N_("decision maker"),
    "timeline": N_("timeline"), "expected_close": N_("expected close"), "owner_id": N_("owner"),
    "discount": N_("discount"), "total": N_("total"), "status": N_("status"), "customer_id": N_("customer"),
    "deal_id": N_("deal"), "paid_on": N_("payment date"), "version": N_("version"), "name": N_("name"),
    "rate": N_("exchange rate"), "source": N_("source"), "phone": N_("phone"), "email": N_("email"),
    "active": N_("enabled"), "due_at": N_("due"), "shared_with": N_("shared with"), "to": N_("to"),
    "period": N_("period"), "user_id": N_("person"), "team_id": N_("team"), "role": N_("role"),
    "deals_channel": N_("deals channel"), "deals_room": N_("deals room"), "industry": N_("industry"),
    "size": N_("size"), "needs": N_("needs"), "score": N_("score"), "survey": N_("survey"),
    "priority": N_("priority"), "assignee_id": N_("assignee"), "respond": N_("first response"),
    "resolve": N_("resolution"),
    "fulfilment": N_("fulfilment"), "promised_on": N_("promised delivery"), "carrier": N_("carrier"),
    "tracking": N_("tracking number"), "number": N_("invoice number"), "issued_on": N_("issue date"),
    "tax_no": N_("tax number"), "reason": N_("reason"), "order": N_("order"), "installment": N_("installment"),
    "installments": N_("installments"),
    "override": N_("reason for skipping the stage rules"), "skipped_rules": N_("skipped rules"),
    "quote": N_("quote"), "target_days": N_("time target (working days)"), "key": N_("stage"),
}
FULFILMENT = {"confirmed": N_("confirmed"), "production": N_("in production/picking"), "shipped": N_("shipped"),
              "delivered": N_("delivered"), "accepted": N_("accepted")}
ACTIVITY_KINDS = {"visit": N_("visit"), "call": N_("call"), "note": N_("note"), "email": N_("email"),
                  "meeting": N_("meeting")}
STATUSES = {"draft": N_("draft"), "pending": N_("waiting for approval"), "approved": N_("approved"),
            "rejected": N_("rejected"), "cancelled": N_("cancelled"), "open": N_("open"), "done": N_("done"),
            "new": N_("new"), "in_progress": N_("in progress"), "waiting": N_("waiting on customer"),
            "resolved": N_("resolved"), "closed": N_("closed")}
_MONEY = ("amount", "total", "subtotal", "paid")
_PEOPLE = ("owner_id", "shared_with", "to", "user_id", "by", "assignee_id")
_HIDDEN = ("currency", "customer_id", "deal_id", "approval_id", "chat_accounts", "team_id", "user_id")


def _load(raw: str | None) -> dict[str, object]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Words:
    """What the sentences need to name things: people, stages, the reader's language and zone."""

    def __init__(self, lang: str, tz: ZoneInfo, people: Mapping[int, str], stages: Mapping[str, Stage]) -> None:
        self.lang, self.tz, self.people, self.stages = lang, tz, people, stages

    def value(self, field: str, v: object, currency: object = None) -> str:
        """One stored value as a reader sees it."""
        if v is None or v == "" or v == []:
            return "—"
        if isinstance(v, bool):
            return tr(self.lang, "yes") if v else tr(self.lang, "no")
        if field in _MONEY:
            try:
                return money(Decimal(str(v)), str(currency) if currency else "CNY")
            except InvalidOperation:
                pass
        if field == "discount":
            try:
                return pct(Decimal(str(v)))
            except InvalidOperation:
                pass
        if field == "stage":
            st = self.stages.get(str(v))
            return (st.name_zh if self.lang == "zh" else st.name_en) if st else esc(str(v))
        if field == "fulfilment" and str(v) in FULFILMENT:
            return tr(self.lang, FULFILMENT[str(v)])
        if field == "status":
            return tr(self.lang, STATUSES[str(v)]) if str(v) in STATUSES else esc(str(v))
        if field in _PEOPLE and isinstance(v, int):
            return esc(self.people.get(v, f"#{v}"))
        if isinstance(v, str) and len(v) >= 10 and v[4:5] == "-" and v[7:8] == "-":
            try:
                if len(v) == 10:
                    return day(date.fromisoformat(v), self.lang)
                return moment(datetime.fromisoformat(v), self.tz, self.lang)
            except ValueError:
                pass
        if isinstance(v, dict):
            return ", ".join(f"{self.field(str(k))} {self.value(str(k), x)}" for k, x in v.items())
        if field == "skipped_rules" and isinstance(v, list):
            return ", ".join(self.field(str(x)) for x in v)
        if isinstance(v, list):
            return ", ".join(self.value(field, x) for x in v)
        return esc(str(v))

    def field(self, key: str) -> str:
        """A field's name in the reader's language."""
        return tr(self.lang, FIELDS[key]) if key in FIELDS else esc(key.replace("_", " "))

    def sentence(self, row: AuditLog) -> str:
        """`alice moved the stage from Prospect to Qualified` / `alice 把阶段从 潜在 改为 已确认`."""
        lang = self.lang
        who = esc(self.people.get(row.user_id, "?")) if row.user_id else tr(lang, "the system")
        b, a = _load(row.before), _load(row.after)
        cur_b, cur_a = b.get("currency"), a.get("currency") or b.get("currency")
        what = tr(lang, ENTITIES.get(row.entity, _RECORD))
        ref = f"{what} #{row.entity_id}" if row.entity_id else what
        if row.action in ("update", "edit", "stage", "fulfil", "status", "priority"):
            changes = []
            for k in dict.fromkeys([*b, *a]):
                if k in _HIDDEN or b.get(k) == a.get(k) or (k == "lost_reason" and a.get(k) is None):
                    continue
                if b.get(k) in (None, ""):
                    changes.append(tr(lang, "set {f} to {v}", f=self.field(k), v=self.value(k, a.get(k), cur_a)))
                elif k not in a:
                    continue
                else:
                    changes.append(tr(lang, "changed {f} from {x} to {y}", f=self.field(k),
                                      x=self.value(k, b.get(k), cur_b), y=self.value(k, a.get(k), cur_a)))
            if not changes:
                return tr(lang, "{who} changed {e}", who=who, e=ref)
            return tr(lang, "{who} {c} ({e})", who=who, c=tr(lang, "; ").join(changes), e=ref)
        details = ", ".join(f"{self.field(k)} {self.value(k, v, cur_a)}" for k, v in a.items()
                            if k not in _HIDDEN and v not in (None, "", []))
        verb = tr(lang, ACTIONS.get(row.action, _OTHER), who=who, e=ref, act=esc(row.action))
        return f"{verb}: {details}" if details else verb


_RECORD = N_("record")
_OTHER = N_("{who}: {act} {e}")
ACTIONS = {
    "create": N_("{who} created {e}"), "delete": N_("{who} deleted {e}"), "approve": N_("{who} approved {e}"),
    "reject": N_("{who} rejected {e}"), "payment": N_("{who} recorded a payment on {e}"),
    "plan": N_("{who} set the payment plan of {e}"), "share": N_("{who} shared {e}"),
    "unshare": N_("{who} stopped sharing {e}"), "reassign": N_("{who} reassigned {e}"),
    "merge": N_("{who} merged {e}"), "checkin": N_("{who} checked in on {e}"),
    "snooze": N_("{who} snoozed {e}"), "done": N_("{who} marked {e} done"), "assign": N_("{who} assigned {e}"),
    "qualify": N_("{who} qualified {e}"), "disqualify": N_("{who} disqualified {e}"),
    "engage": N_("{who} logged engagement on {e}"), "deactivate": N_("{who} deactivated {e}"),
    "reactivate": N_("{who} reactivated {e}"), "join": N_("{who} joined"), "invite": N_("{who} made {e}"),
    "import": N_("{who} imported {e}"), "export": N_("{who} exported {e}"),
    "survey": N_("{who} made a satisfaction survey link for {e}"),
    "survey answer": N_("{e} answered a satisfaction survey"),
    "invoice_request": N_("{who} requested {e}"),
    "invoice_issue": N_("{who} issued {e}"), "invoice_reject": N_("{who} rejected {e}"),
    "resolve": N_("{who} resolved {e}"), "comment": N_("{who} commented on {e}"),
}
