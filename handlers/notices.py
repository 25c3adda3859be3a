"""Claimed reminders turned into outbox rows: each reminder's words in its reader's language and zone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from handlers import outbox
from handlers.care_words import reason_words
from handlers.commands.digest import person_replies, team_replies
from handlers.context import Settings
from handlers.deal_clock import stay_line
from handlers.fmt import day as fmt_day
from handlers.fmt import moment, money, pct
from handlers.i18n import N_, lang_of, tr, trn
from handlers.markup import esc
from handlers.types import Button, ChatRef, Reply
from sales.reminders import People
from sales.reminders.digest import person_digest, team_digest
from sales.reminders.due import Due
from storage.models import User


def followup_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """⏰ a follow-up whose time has come, with Done / Snooze / Open."""
    fu, c = d.followup, d.customer
    assert fu is not None and c is not None
    tz = people.calendar(d.user.id if d.user else None).tz
    if fu.reason == "cadence":
        last = c.last_contact_at or c.created_at
        n = (now.astimezone(tz).date() - last.astimezone(tz).date()).days
        text = trn(lang, "⏰ Time to check in with *{c}*: grade {g}, last contact {n} day ago.",
                   "⏰ Time to check in with *{c}*: grade {g}, last contact {n} days ago.", n, c=esc(c.name), g=c.grade)
    else:
        text = tr(lang, "⏰ Follow up with *{c}* ({w}): {x}", c=esc(c.name),
                  w=moment(fu.due_at, tz, lang, fu.has_time),
                  x=reason_words(lang, fu.reason, c.grade, fu.what) or esc(fu.what[:300]))
    return Reply(text=text, buttons=(
        (Button(tr(lang, "Done"), f"fu.done:{fu.id}", style="primary"),
         Button(tr(lang, "Open"), f"say:/customer #{c.id}")),
        (Button(tr(lang, "Snooze 1 day"), f"fu.snz:{fu.id}"),
         Button(tr(lang, "Snooze 1 week"), f"say:/snooze {fu.id} 7"))))


def installment_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """💰 an installment 3 days before, on the day, or overdue (the owner named for others)."""
    inst, o, c = d.installment, d.order, d.customer
    assert inst is not None and o is not None
    today = people.calendar(d.user.id if d.user else None).local(now).date()
    late = (today - inst.due_on).days
    kw: dict[str, object] = dict(c=esc(c.name if c else "?"), o=o.id, s=inst.seq, a=money(inst.amount - inst.paid, o.currency),
                                 d=fmt_day(inst.due_on, lang))
    if late < 0:
        text = trn(lang, "💰 Payment due in {n} day: {c}, order #{o}, installment {s}, {a}, due {d}.",
                   "💰 Payment due in {n} days: {c}, order #{o}, installment {s}, {a}, due {d}.", -late, **kw)
    elif late == 0:
        text = tr(lang, "💰 Payment due today: {c}, order #{o}, installment {s}, {a}.", **kw)
    else:
        text = trn(lang, "⚠️ Payment {n} day overdue: {c}, order #{o}, installment {s}, {a} (due {d}).",
                   "⚠️ Payment {n} days overdue: {c}, order #{o}, installment {s}, {a} (due {d}).", late, **kw)
    owner = people.users.get(o.owner_id)
    if d.user is not None and owner is not None and owner.id != d.user.id:
        text += tr(lang, " Owner: {r}.", r=esc(owner.name))
    return Reply(text=text, buttons=((Button(tr(lang, "Receivables"), "say:/receivables"),),))


def nudge_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """⏳ an approval that waited 4 working hours, with Approve / Reject."""
    ap, q = d.approval, d.quote
    assert ap is not None and q is not None
    text = tr(lang, "⏳ {r}'s discount request has waited 4 working hours: quote #{q} ({c}), {p} off, total {t}.",
              r=esc(d.requester.name if d.requester else "?"), q=q.id, c=esc(d.customer.name if d.customer else "?"),
              p=pct(q.discount), t=money(q.total, q.currency))
    return Reply(text=text, buttons=((Button(tr(lang, "Approve"), f"ap.ok:{ap.id}", style="primary"),
                                      Button(tr(lang, "Reject"), f"ap.no:{ap.id}", style="danger")),))


def lead_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """🔥 an SQL lead nobody touched for 24 hours."""
    lead = d.lead
    assert lead is not None
    return Reply(text=tr(lang, "🔥 SQL lead #{n} ({co}) has waited more than 24 hours for a first touch.",
                         n=lead.id, co=esc(lead.company)))


TARGETS = {"respond": N_("first response"), "resolve": N_("resolution")}


def _ticket_words(d: Due, lang: str, people: People) -> dict[str, object]:
    t = d.ticket
    assert t is not None
    what = TARGETS["respond" if d.data.get("what") == "respond" else "resolve"]
    by = t.respond_by if d.data.get("what") == "respond" else t.resolve_by
    tz = people.calendar(d.user.id if d.user else None).tz
    name = d.customer.name if d.customer is not None else (t.company or "?")
    return dict(n=t.id, c=esc(name), p=t.priority, w=tr(lang, what), t=moment(by, tz, lang, True))


def ticket_warn_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """⏳ a ticket's target is near: its assignee is reminded."""
    text = tr(lang, "⏳ Ticket #{n} ({c}, {p}): its {w} is due by {t}. Answer or move it on.",
              **_ticket_words(d, lang, people))
    return Reply(text=text, buttons=((Button(tr(lang, "Open"), f"say:/ticket {d.ticket.id}"),),))


def ticket_breach_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """🚨 a ticket missed a target: the team's managers are told."""
    t = d.ticket
    who = people.users.get(t.assignee_id or 0)
    text = tr(lang, "🚨 Ticket #{n} ({c}, {p}) missed its {w} target ({t}). Assignee: {a}.",
              a=esc(who.name) if who is not None else tr(lang, "nobody"), **_ticket_words(d, lang, people))
    return Reply(text=text, buttons=((Button(tr(lang, "Open"), f"say:/ticket {t.id}"),),))


def late_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """🚚 an order past its promised delivery date and not delivered (the owner named for a manager)."""
    o, c = d.order, d.customer
    assert o is not None and o.promised_on is not None
    today = people.calendar(d.user.id if d.user else None).local(now).date()
    late = max((today - o.promised_on).days, 1)
    text = trn(lang, "🚚 Order #{o} ({c}) is {n} day late: delivery was promised for {d}.",
               "🚚 Order #{o} ({c}) is {n} days late: delivery was promised for {d}.", late, o=o.id,
               c=esc(c.name if c else "?"), d=fmt_day(o.promised_on, lang))
    owner = people.users.get(o.owner_id)
    if d.user is not None and owner is not None and owner.id != d.user.id:
        text += tr(lang, " Owner: {r}.", r=esc(owner.name))
    return Reply(text=text, buttons=((Button(tr(lang, "Open order"), f"say:/order {o.id}"),
                                      Button(tr(lang, "Delivered"), f"say:/order {o.id} deliver")),))


def keydate_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """🎂 a contact's birthday, or 📅 another of their key dates, today."""
    k, p, c = d.keydate, d.contact, d.customer
    assert k is not None and p is not None and c is not None
    if k.kind == "birthday":
        text = tr(lang, "🎂 Today is {p}'s birthday ({c}).", p=esc(p.name), c=esc(c.name))
    else:
        text = tr(lang, "📅 Today: {what} of {p} ({c}).", what=esc(k.label), p=esc(p.name), c=esc(c.name))
    return Reply(text=text, buttons=((Button(tr(lang, "Open"), f"say:/customer #{c.id}"),),))


def stall_reply(d: Due, lang: str, people: People, now: datetime) -> Reply:
    """⏳ a deal past its stage's time target (to its owner; to the manager after as long again)."""
    stay, deal = d.stay, d.deal
    assert stay is not None and deal is not None
    kw: dict[str, object] = dict(id=deal.id, c=esc(d.customer.name if d.customer else "?"), t=esc(deal.title),
                                 line=stay_line(stay, lang))
    if d.data.get("role") == "manager":
        owner = people.users.get(deal.owner_id)
        text = tr(lang, "⏳ {r}'s deal #{id} {c} · {t} is past its stage's time: {line}",
                  r=esc(owner.name if owner else "?"), **kw)
    else:
        text = tr(lang, "⏳ Deal #{id} {c} · {t} is past its stage's time: {line}. Move it on, or tell the team why.",
                  **kw)
    return Reply(text=text, buttons=((Button(tr(lang, "Open deal"), f"say:/deal {deal.id}"),
                                      Button(tr(lang, "Move"), f"say:/advance {deal.id}")),))


RENDER = {"followup": followup_reply, "installment": installment_reply, "nudge": nudge_reply,
          "lead.untouched": lead_reply, "ticket.warn": ticket_warn_reply, "ticket.breach": ticket_breach_reply,
          "order.late": late_reply, "keydate": keydate_reply, "stall": stall_reply}


@dataclass
class Built:
    """Outbox rows per reminder id, the reminders with nothing to send, and those to send later."""

    rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    dropped: list[int] = field(default_factory=list)
    deferred: dict[int, datetime] = field(default_factory=dict)


def _team_lang(people: People, team_id: int | None, default: str) -> str:
    langs = Counter(lang_of(u.lang, default) for u in people.users.values() if u.team_id == team_id and u.active)
    return langs.most_common(1)[0][0] if langs else lang_of(default)


def build(session: Session, dues: list[Due], *, people: People, now: datetime, settings: Settings) -> Built:
    """The outbox rows that deliver these reminders; a reminder with nothing to say or nobody to reach is dropped."""
    readers = {d.user.id or 0 for d in dues if d.user is not None}
    for d in dues:
        if d.team is not None and not d.team.chat_id:
            readers |= {m.id or 0 for m in people.managers(d.team.id)}
    chats = outbox.private_chats(session, readers)
    out = Built()

    def to_user(user: User, replies: list[Reply]) -> list[dict[str, Any]]:
        where = chats.get(user.id or 0)
        return [] if where is None else [outbox.row(where, r, now=now, user_id=user.id) for r in replies]

    for d in dues:
        rid = d.reminder.id
        rows: list[dict[str, Any]] = []
        if d.defer is not None:
            out.deferred[rid] = d.defer
            continue
        if d.drop is None and d.user is not None:
            lang = lang_of(d.user.lang, settings.default_lang)
            if d.reminder.kind == "digest":
                cal = people.calendar(d.user.id)
                dg = person_digest(session, user=d.user, day=d.day or cal.local(now).date(), cal=cal, now=now)
                rows = to_user(d.user, person_replies(dg, name=d.user.name, lang=lang, tz=cal.tz))
            elif d.reminder.kind in RENDER:
                rows = to_user(d.user, [RENDER[d.reminder.kind](d, lang, people, now)])
        elif d.drop is None and d.team is not None:
            cal = people.team_calendar(d.team)
            tdg = team_digest(session, team=d.team, day=d.day or cal.local(now).date(), cal=cal, now=now)
            if d.team.chat_id:
                lang = _team_lang(people, d.team.id, settings.default_lang)
                group = ChatRef(platform=d.team.chat_platform or "console",  # type: ignore[arg-type]
                                workspace=d.team.chat_workspace or "local", chat=d.team.chat_id)
                rows = [outbox.row(group, r, now=now) for r in team_replies(tdg, lang=lang, now=now, session=session)]
            else:  # no team chat configured: the team's managers read it
                for m in people.managers(d.team.id):
                    rows += to_user(m, team_replies(tdg, lang=lang_of(m.lang, settings.default_lang), now=now,
                                                     session=session))
        if rows:
            out.rows[rid] = rows
        else:
            out.dropped.append(rid)
    return out
