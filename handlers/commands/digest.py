"""The digests as Replies: a person's day and a team's yesterday, in the reader's language; /digest, /snooze."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.commands.config import set_team
from handlers.context import Ctx
from handlers.fmt import day as fmt_day
from handlers.fmt import money, pct
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Attachment, Button, Reply
from sales import reminders
from sales.reminders.digest import PersonDigest, TeamDigest, Waiting, person_digest, team_digest
from storage.models import Customer, FollowUp, Team

log = logging.getLogger("salesbot.digest")
KINDS = {"visit": ("拜访", "visit", "visits"), "call": ("电话", "call", "calls"), "email": ("邮件", "email", "emails"),
         "meeting": ("会议", "meeting", "meetings"), "note": ("备注", "note", "notes")}


def _t(lang: str, zh: str, en: str, **kw: object) -> str:
    return (zh if lang == "zh" else en).format(**kw)


def _section(lang: str, zh: str, en: str, lines: list[str], total: int) -> str:
    if not lines:
        return ""
    more = total - len(lines)
    tail = ["  " + _t(lang, "……还有 {n} 项", "… and {n} more", n=more)] if more > 0 else []
    return "\n".join([_t(lang, zh, en, n=total), *lines, *tail])


def _what(text: str) -> str:
    return esc(text if len(text) <= 80 else text[:79] + "…")


def _waiting_line(lang: str, w: Waiting, mine: bool) -> str:
    who = "" if mine else esc(w.requester.name if w.requester else "?") + ": "
    return "• " + who + _t(lang, "报价 #{q} {c}，折扣 {d}，合计 {t}", "quote #{q} {c}, {d} off, total {t}",
                           q=w.quote.id, c=esc(w.customer.name), d=pct(w.quote.discount), t=money(w.quote.total))


def person_replies(dg: PersonDigest, *, name: str, lang: str, tz: ZoneInfo) -> list[Reply]:
    """A person's digest as one Reply, empty sections left out; [] when there is nothing to do."""
    if dg.empty:
        return []
    c = dg.counts

    def fu_line(f: FollowUp, cust: Customer, with_day: bool, who: str = "") -> str:
        local = f.due_at.astimezone(tz)
        when = fmt_day(local.date(), lang) if with_day else ""
        if f.has_time:
            when = f"{when} {local:%H:%M}".strip()
        lead = f"{when} " if when else ""
        what = (_t(lang, "定期回访（{g} 级）", "regular check-in (grade {g})", g=cust.grade) if f.reason == "cadence"
                else _what(f.what))
        return f"• {who}{lead}*{esc(cust.name)}*{'：' if lang == 'zh' else ': '}{what}"

    parts = [
        _t(lang, "📋 *{n}，你今天的待办 · {d}*", "📋 *Your day, {n} · {d}*", n=esc(name), d=fmt_day(dg.day, lang)),
        _section(lang, "*今天的跟进（{n}）*", "*Follow-ups today ({n})*",
                 [fu_line(f, cu, False) for f, cu in dg.today], c["today"]),
        _section(lang, "*逾期的跟进（{n}）*", "*Overdue follow-ups ({n})*",
                 [fu_line(f, cu, True) for f, cu in dg.overdue], c["overdue"]),
        _section(lang, "*到期的回款（{n}）*", "*Payments due ({n})*",
                 [f"• #{r.order.id} {esc(r.customer.name)} · {fmt_day(r.installment.due_on, lang)} · {money(r.open)}"
                  + (_t(lang, " 【逾期】", " [overdue]") if r.installment.due_on < dg.day else "")
                  for r in dg.payments], c["payments"]),
        _section(lang, "*等你审批（{n}）*", "*Waiting for your approval ({n})*",
                 [_waiting_line(lang, w, False) for w in dg.to_approve], c["to_approve"]),
        _section(lang, "*你的报价在等审批（{n}）*", "*Your quotes waiting for approval ({n})*",
                 [_waiting_line(lang, w, True) for w in dg.my_waiting], c["my_waiting"]),
        _section(lang, "*团队里逾期超过 3 天的跟进（{n}）*", "*Team follow-ups overdue more than 3 days ({n})*",
                 [fu_line(f, cu, True, esc(u.name) + " · ") for f, cu, u in dg.team_overdue], c["team_overdue"]),
    ]
    buttons: list[Button] = []
    if c["today"] or c["overdue"]:
        buttons.append(Button(_t(lang, "今天的跟进", "Today's follow-ups"), "say:/today"))
    if c["to_approve"]:
        buttons.append(Button(_t(lang, "去审批", "Approvals"), "say:/approvals"))
    return [Reply(text="\n\n".join(p for p in parts if p), buttons=(tuple(buttons),) if buttons else ())]


def _kinds(lang: str, counts: dict[str, int]) -> str:
    out = []
    for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        zh, one, many = KINDS.get(kind, (kind, kind, kind))
        out.append(f"{zh} {n}" if lang == "zh" else f"{n} {one if n == 1 else many}")
    return ("、" if lang == "zh" else ", ").join(out)


def team_replies(dg: TeamDigest, *, lang: str, session: Session | None = None) -> list[Reply]:
    """A team's digest as one Reply, empty sections left out; [] when nothing happened and nothing is open."""
    if dg.empty:
        return []

    def stage(key: str | None) -> str:
        s = dg.stages.get(key or "")
        return (s.name_zh if lang == "zh" else s.name_en) if s else (key or "—")

    def owner(u: object) -> str:
        return esc(getattr(u, "name", "?"))

    acts = [f"• {esc(n)}: {_kinds(lang, dict(c))}" for n, c in sorted(dg.activities.items())]
    parts = [
        _t(lang, "📊 *{t} 日报 · {d}*", "📊 *{t} daily digest · {d}*", t=esc(dg.team.name), d=fmt_day(dg.day, lang)),
        _section(lang, "*" + _t(lang, "{s} 以来的活动", "Activities since {s}", s=fmt_day(dg.since, lang)) + "*",
                 "*" + _t(lang, "{s} 以来的活动", "Activities since {s}", s=fmt_day(dg.since, lang)) + "*",
                 acts, len(acts)),
        _section(lang, "*阶段推进（{n}）*", "*Stage moves ({n})*",
                 [f"• {esc(c.name)} {esc(d.title)}: {stage(ch.from_stage)} → {stage(ch.to_stage)} ({owner(u)})"
                  for ch, d, c, u in dg.moves], len(dg.moves)),
        _section(lang, "*赢单（{n}）*", "*Won ({n})*",
                 [f"• ✅ {esc(c.name)} {esc(d.title)} {money(d.amount)} ({owner(u)})" for d, c, u in dg.won],
                 len(dg.won)),
        _section(lang, "*输单（{n}）*", "*Lost ({n})*",
                 [f"• ❌ {esc(c.name)} {esc(d.title)}: {esc(d.lost_reason or '—')} ({owner(u)})" for d, c, u in dg.lost],
                 len(dg.lost)),
        _t(lang, "*商机*：进行中 {n} 个，合计 {a}，加权预测 {w}", "*Pipeline*: {n} open {deals}, {a}; weighted forecast {w}",
           n=dg.open_deals, deals="deal" if dg.open_deals == 1 else "deals", a=money(dg.pipeline),
           w=money(dg.weighted)) if dg.open_deals else "",
        _section(lang, "*待审批（{n}）*", "*Pending approvals ({n})*",
                 [_waiting_line(lang, w, False) for w in dg.approvals], len(dg.approvals)),
        _section(lang, "*逾期应收（{n}，合计 " + money(dg.overdue_total) + "）*",
                 "*Overdue receivables ({n}, " + money(dg.overdue_total) + " in all)*",
                 [_t(lang, "• #{o} {c} · {d} 到期 · {a} · 逾期 {k} 天", "• #{o} {c} · due {d} · {a} · {k} {days} late",
                     o=r.order.id, c=esc(r.customer.name), d=fmt_day(r.installment.due_on, lang), a=money(r.open),
                     k=(dg.day - r.installment.due_on).days,
                     days="day" if (dg.day - r.installment.due_on).days == 1 else "days") for r in dg.overdue],
                 dg.overdue_count),
    ]
    out = [Reply(text="\n\n".join(p for p in parts if p))]
    if dg.day.weekday() == 0 and session is not None:
        out += [Reply(text=f"📈 {esc(a.name)}", image=a) for a in monday_attachments(session, dg.team, lang)]
    return out


ChartHook = Callable[[Session, int, str], list[Attachment]]


def monday_attachments(session: Session, team: Team, lang: str) -> list[Attachment]:
    """Monday's charts (funnel, leaderboard) from the reports module when it exists; [] until then.

    The reports module provides `handlers/commands/reports.py: monday_charts(session, team_id, lang) -> list[Attachment]`.
    """
    try:
        mod = importlib.import_module("handlers.commands.reports")
    except ImportError:
        return []
    hook: ChartHook | None = getattr(mod, "monday_charts", None)
    if hook is None:
        return []
    try:
        return list(hook(session, team.id or 0, lang))
    except Exception:
        log.exception("monday charts failed", extra={"team_id": team.id})
        return []


@command("digest", "/digest [team|here]", "我现在的每日摘要（team：团队日报；here：团队日报以后发到这个群）",
         "my digest now (team: the team digest; here: send the team digest to this group from now on)", personal=True, shared=("here", "这里"))
def digest(ctx: Ctx, args: str) -> None:
    """This person's digest now, or (managers, admins) their team's, or where the team's goes."""
    people = reminders.People.load(ctx.session, ctx.settings.default_tz)
    team = people.team_of(ctx.me.id)
    word = args.strip().lower()
    if word in ("here", "这里"):
        if ctx.me.role not in ("manager", "admin") or team is None:
            ctx.say("只有团队的经理或管理员能设置团队日报发到哪里。", "Only a team's manager or an admin can choose where "
                    "the team digest goes.")
        elif ctx.incoming.private:
            ctx.say("请在团队的群里发 /digest here。", "Send /digest here in the team's group chat.")
        else:
            chat = ctx.incoming.chat
            set_team(ctx, team, chat_platform=chat.platform, chat_workspace=chat.workspace, chat_id=chat.chat)
            ctx.say("好的，{t} 的团队日报以后每个工作日发到这里。", "OK: {t}'s team digest comes here every working day.",
                    t=esc(team.name))
        return
    if word in ("team", "团队"):
        if ctx.me.role not in ("manager", "admin") or team is None:
            ctx.say("只有团队的经理或管理员能看团队日报。", "Only a team's manager or an admin can see the team digest.")
            return
        cal = people.team_calendar(team)
        tdg = team_digest(ctx.session, team=team, day=cal.local(ctx.now).date(), cal=cal)
        out = team_replies(tdg, lang=ctx.lang, session=ctx.session)
        ctx.replies.extend(out or [Reply(text=ctx.t("团队今天没有要报告的。", "Nothing to report for the team today."))])
        return
    if word:
        usage(ctx, "digest")
        return
    cal = people.calendar(ctx.me.id)
    dg = person_digest(ctx.session, user=ctx.me, day=cal.local(ctx.now).date(), cal=cal, now=ctx.now)
    out = person_replies(dg, name=ctx.me.name, lang=ctx.lang, tz=cal.tz)
    ctx.replies.extend(out or [Reply(text=ctx.t("今天没有待办。👍", "Nothing to do today. 👍"))])
