"""The digests as Replies: a person's day and a team's yesterday, in the reader's language; /digest, /snooze."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.care_words import reason_words
from handlers.closing import fix_buttons, fix_lines
from handlers.commands.config import set_team
from handlers.context import Ctx
from handlers.deal_clock import stay_line
from handlers.fmt import day as fmt_day
from handlers.fmt import money, monies, pct
from handlers.i18n import N_, NP_, tr, trn
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Attachment, Button, Reply
from sales import reminders
from sales.reminders.digest import PersonDigest, TeamDigest, Waiting, person_digest, team_digest
from sales.reminders.stalls import Stay
from sales.reorders import Reorder
from storage.models import Customer, FollowUp, Team

log = logging.getLogger("salesbot.digest")
KINDS = {"visit": NP_("{n} visit", "{n} visits"), "call": NP_("{n} call", "{n} calls"),
         "email": NP_("{n} email", "{n} emails"), "meeting": NP_("{n} meeting", "{n} meetings"),
         "note": NP_("{n} note", "{n} notes")}



def _section(lang: str, title: str, lines: list[str], total: int, more_msg: str = "… and {n} more",
             **kw: object) -> str:
    if not lines:
        return ""
    more = total - len(lines)
    tail = ["  " + tr(lang, more_msg, n=more)] if more > 0 else []
    return "\n".join([tr(lang, title, n=total, **kw), *lines, *tail])


FU_MORE = N_("{n} more (/followups)")


def _what(text: str) -> str:
    return esc(text if len(text) <= 80 else text[:79] + "…")


def _waiting_line(lang: str, w: Waiting, mine: bool) -> str:
    who = "" if mine else esc(w.requester.name if w.requester else "?") + ": "
    return "• " + who + tr(lang, "quote #{q} {c}, {d} off, total {t}",
                           q=w.quote.id, c=esc(w.customer.name), d=pct(w.quote.discount), t=money(w.quote.total, w.quote.currency))


def person_replies(dg: PersonDigest, *, name: str, lang: str, tz: ZoneInfo) -> list[Reply]:
    """A person's digest as one Reply, empty sections left out; [] when there is nothing to do."""
    if dg.empty:
        return []
    c = dg.counts
    users = dg.names

    def fu_line(f: FollowUp, cust: Customer, with_day: bool, who: str = "") -> str:
        local = f.due_at.astimezone(tz)
        when = fmt_day(local.date(), lang) if with_day else ""
        if f.has_time:
            when = f"{when} {local:%H:%M}".strip()
        lead = f"{when} " if when else ""
        what = reason_words(lang, f.reason, cust.grade, f.what) or _what(f.what)
        return "• " + tr(lang, "{who}{lead}*{c}*: {what}", who=who, lead=lead, c=esc(cust.name), what=what)

    parts = [
        tr(lang, "📋 *Your day, {n} · {d}*", n=esc(name), d=fmt_day(dg.day, lang)),
        _section(lang, "*Follow-ups today ({n})*",
                 [fu_line(f, cu, False) for f, cu in dg.today], c["today"], FU_MORE),
        _section(lang, "*Overdue follow-ups ({n})*",
                 [fu_line(f, cu, True) for f, cu in dg.overdue], c["overdue"], FU_MORE),
        _section(lang, "*Payments due ({n})*",
                 [f"• #{r.order.id} {esc(r.customer.name)} · {fmt_day(r.installment.due_on, lang)} · {money(r.open, r.order.currency)}"
                  + (tr(lang, " [overdue]") if r.installment.due_on < dg.day else "")
                  for r in dg.payments], c["payments"]),
        _section(lang, "*Waiting for your approval ({n})*",
                 [_waiting_line(lang, w, False) for w in dg.to_approve], c["to_approve"]),
        _section(lang, "*Your quotes waiting for approval ({n})*",
                 [_waiting_line(lang, w, True) for w in dg.my_waiting], c["my_waiting"]),
        _section(lang, "*Team follow-ups overdue more than 3 working days ({n})*",
                 [fu_line(f, cu, True, esc(u.name) + " · ") for f, cu, u in dg.team_overdue], c["team_overdue"]),
        _section(lang, "*Due to reorder ({n})*", [_reorder_line(lang, r, tz) for r in dg.reorder], c["reorder"]),
        _section(lang, "*Your deals past their stage's time ({n})*",
                 [stalled_line(lang, s, owner=None) for s in dg.stalled], c["stalled"]),
        _section(lang, "*Team deals past twice their stage's time ({n})*",
                 [stalled_line(lang, s, owner=users.get(s.deal.owner_id)) for s in dg.team_stalled],
                 c["team_stalled"]),
        "\n".join(fix_lines(lang, dg.fixes, owners=True)) if dg.fixes is not None else "",
    ]
    buttons: list[Button] = []
    if c["today"] or c["overdue"]:
        buttons.append(Button(tr(lang, "Today's follow-ups"), "say:/today"))
    if c["to_approve"]:
        buttons.append(Button(tr(lang, "Approvals"), "say:/approvals"))
    rows: tuple[tuple[Button, ...], ...] = (tuple(buttons),) if buttons else ()
    if dg.fixes is not None:
        rows += fix_buttons(lang, dg.fixes.slipped + dg.fixes.undated, dg.day)
    rows += tuple((Button(tr(lang, "Follow up: {c}", c=r.customer.name[:40]), f"ro.fu:{r.customer.id}"),)
                  for r in dg.reorder)
    return [Reply(text="\n\n".join(p for p in parts if p), buttons=rows)]


def _reorder_line(lang: str, r: Reorder, tz: ZoneInfo) -> str:
    """• 华东科技: orders about every 90 days, last 2026-08-20, 3 days overdue."""
    late = round(-r.due_in)
    when = (trn(lang, "{n} day overdue", "{n} days overdue", late) if late > 0 else
            tr(lang, "due today") if late == 0 else trn(lang, "due in {n} day", "due in {n} days", -late))
    return "• " + tr(lang, "*{c}*: orders about every {d} days, last {last}, {when}", c=esc(r.customer.name),
                     d=round(r.interval), last=fmt_day(r.last_at.astimezone(tz).date(), lang), when=when)


def stalled_line(lang: str, stay: Stay, owner: str | None) -> str:
    """• #4 客户 · title · Proposal day 5 / target 3 working days (owner)."""
    who = f" ({esc(owner)})" if owner else ""
    return f"• #{stay.deal.id} {esc(stay.customer)} · {_what(stay.deal.title)} · {stay_line(stay, lang)}{who}"


def _kinds(lang: str, counts: dict[str, int]) -> str:
    out = []
    for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        one, many = KINDS.get(kind, ("{n} " + kind, "{n} " + kind))
        out.append(trn(lang, one, many, n))
    return tr(lang, ", ").join(out)


def team_replies(dg: TeamDigest, *, lang: str, now: datetime, session: Session | None = None) -> list[Reply]:
    """A team's digest as one Reply, empty sections left out; [] when nothing happened and nothing is open.

    On Mondays the charts of last week follow, last week as of `now` (the injected clock).
    """
    if dg.empty:
        return []

    def stage(key: str | None) -> str:
        s = dg.stages.get(key or "")
        return (s.name_zh if lang == "zh" else s.name_en) if s else (key or "—")

    def owner(u: object) -> str:
        return esc(getattr(u, "name", "?"))

    acts = [f"• {esc(n)}: {_kinds(lang, dict(c))}" for n, c in sorted(dg.activities.items())]
    names = dg.owners
    parts = [
        tr(lang, "📊 *{t} daily digest · {d}*", t=esc(dg.team.name), d=fmt_day(dg.day, lang)),
        _section(lang, "*Activities since {s}*", acts, len(acts), s=fmt_day(dg.since, lang)),
        _section(lang, "*Stage moves ({n})*",
                 [f"• {esc(c.name)} {esc(d.title)}: {stage(ch.from_stage)} → {stage(ch.to_stage)} ({owner(u)})"
                  for ch, d, c, u in dg.moves], len(dg.moves)),
        _section(lang, "*Won ({n})*",
                 [f"• ✅ {esc(c.name)} {esc(d.title)} {money(d.amount, d.currency)} ({owner(u)})" for d, c, u in dg.won],
                 len(dg.won)),
        _section(lang, "*Lost ({n})*",
                 [f"• ❌ {esc(c.name)} {esc(d.title)}: {esc(d.lost_reason or '—')} ({owner(u)})" for d, c, u in dg.lost],
                 len(dg.lost)),
        trn(lang, "*Pipeline*: {n} open deal, {a}; weighted forecast {w}",
            "*Pipeline*: {n} open deals, {a}; weighted forecast {w}", dg.open_deals, a=monies(dg.pipeline),
            w=monies(dg.weighted)) if dg.open_deals else "",
        _section(lang, "*Pending approvals ({n})*",
                 [_waiting_line(lang, w, False) for w in dg.approvals], len(dg.approvals)),
        _section(lang, "*Deals past their stage's time ({n})*",
                 [stalled_line(lang, s, owner=names.get(s.deal.owner_id)) for s in dg.stalled], dg.stalled_count),
        _section(lang, "*Overdue receivables ({n}, {a} in all)*",
                 [trn(lang, "• #{o} {c} · due {d} · {a} · {n} day late", "• #{o} {c} · due {d} · {a} · {n} days late",
                      (dg.day - r.installment.due_on).days, o=r.order.id, c=esc(r.customer.name),
                      d=fmt_day(r.installment.due_on, lang), a=money(r.open, r.order.currency)) for r in dg.overdue],
                 dg.overdue_count, a=monies(dg.overdue_total)),
    ]
    out = [Reply(text="\n\n".join(p for p in parts if p))]
    if dg.day.weekday() == 0 and session is not None:
        out += [Reply(text=f"📈 {esc(a.name)}", image=a) for a in monday_attachments(session, dg.team, lang, now)]
    return out


ChartHook = Callable[..., list[Attachment]]


def monday_attachments(session: Session, team: Team, lang: str, now: datetime) -> list[Attachment]:
    """Monday's charts (funnel, leaderboard) from the reports module when it exists; [] until then.

    The reports module provides `handlers/commands/reports.py: monday_charts(session, team_id, lang, now=)`.
    """
    try:
        mod = importlib.import_module("handlers.commands.reports")
    except ImportError:
        return []
    hook: ChartHook | None = getattr(mod, "monday_charts", None)
    if hook is None:
        return []
    try:
        return list(hook(session, team.id or 0, lang, now=now))
    except Exception:
        log.exception("monday charts failed", extra={"team_id": team.id})
        return []


@command("digest", "/digest [team|here]", "my digest now (team: the team digest; here: send the team digest to this group from now on)", personal=True, shared=("here", "这里"))
def digest(ctx: Ctx, args: str) -> None:
    """This person's digest now, or (managers, admins) their team's, or where the team's goes."""
    people = reminders.People.load(ctx.session, ctx.settings.default_tz)
    team = people.team_of(ctx.me.id)
    word = args.strip().lower()
    if word in ("here", "这里"):
        if ctx.me.role not in ("manager", "admin") or team is None:
            ctx.say("Only a team's manager or an admin can choose where the team digest goes.")
        elif ctx.incoming.private:
            ctx.say("Send /digest here in the team's group chat.")
        else:
            chat = ctx.incoming.chat
            set_team(ctx, team, chat_platform=chat.platform, chat_workspace=chat.workspace, chat_id=chat.chat)
            ctx.say("OK: {t}'s team digest comes here every working day.",
                    t=esc(team.name))
        return
    if word in ("team", "团队"):
        if ctx.me.role not in ("manager", "admin") or team is None:
            ctx.say("Only a team's manager or an admin can see the team digest.")
            return
        cal = people.team_calendar(team)
        tdg = team_digest(ctx.session, team=team, day=cal.local(ctx.now).date(), cal=cal, now=ctx.now)
        out = team_replies(tdg, lang=ctx.lang, now=ctx.now, session=ctx.session)
        ctx.replies.extend(out or [Reply(text=ctx.t("Nothing to report for the team today."))])
        return
    if word:
        usage(ctx, "digest")
        return
    cal = people.calendar(ctx.me.id)
    dg = person_digest(ctx.session, user=ctx.me, day=cal.local(ctx.now).date(), cal=cal, now=ctx.now)
    out = person_replies(dg, name=ctx.me.name, lang=ctx.lang, tz=cal.tz)
    ctx.replies.extend(out or [Reply(text=ctx.t("Nothing to do today. 👍"))])
