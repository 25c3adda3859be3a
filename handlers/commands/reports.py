"""Reports in chat: /pipeline, /report …, /target, each a short text and a chart; the Monday digest charts."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, col, select

from handlers.amounts import home_currency, money_arg
from handlers.context import Ctx
from handlers.fmt import money
from handlers.markup import esc
from handlers.parsing.amounts import read_amount
from handlers.registry import command, usage
from handlers.reporting import charts
from handlers.reporting.answer import Answer, zone
from handlers.reporting.builders import build, pipeline_report
from handlers.reporting.csat import csat_report
from handlers.reporting.retention import retention_report
from handlers.reporting.service import service_report
from handlers.types import Attachment, Reply
from sales import analytics as an
from sales.access import MANAGERS, SELLERS, ticket_scope
from sales.analytics.periods import ACCEPTED_EN, ACCEPTED_ZH, Kind, Period, parse_period, span
from sales.analytics.targets import may_set, set_target
from sales.currency import rates
from sales.errors import RuleError
from storage.models import Team, User

log = logging.getLogger("salesbot.reports")
KINDS = {"funnel": "funnel", "漏斗": "funnel", "sources": "sources", "source": "sources", "来源": "sources",
         "reps": "reps", "leaderboard": "reps", "排行": "reps", "排行榜": "reps", "stages": "stages",
         "阶段": "stages", "forecast": "forecast", "预测": "forecast", "targets": "targets", "target": "targets",
         "目标": "targets", "service": "service", "服务": "service", "工单": "service", "csat": "csat",
         "satisfaction": "csat", "满意度": "csat", "retention": "retention", "留存": "retention",
         "复购": "retention"}
DEFAULT_PERIOD: dict[str, Kind] = {"funnel": "month", "sources": "month", "reps": "month", "stages": "month",
                                   "forecast": "quarter", "targets": "quarter", "service": "month", "csat": "year",
                                   "retention": "year"}
MINE, TEAM = ("mine", "我的", "me", "我"), ("team", "团队", "all", "全部")


def send(ctx: Ctx, answer: Answer) -> None:
    """Answer with the text and the chart; without a CJK font, the text and why there is no chart."""
    image = None
    if answer.draw is not None and answer.chart is not None:
        try:
            image = Attachment(answer.chart, "image/png", answer.draw())
        except charts.NoCJKFont as exc:
            log.warning("chart not drawn: %s", exc)
            answer.text += ctx.t("\n(No chart: no font for Chinese could be loaded; set `SALESBOT_CJK_FONT` to a CJK font file.)")
        except Exception:
            # The figures stand without their picture; a drawing bug must not undo the turn (a /target).
            log.exception("chart %s failed", answer.chart)
            answer.text += ctx.t("\n(The chart could not be drawn.)")
    ctx.replies.append(Reply(text=answer.text, image=image, buttons=answer.buttons))


def _scope_words(ctx: Ctx, words: list[str]) -> tuple[an.Scope, list[str]]:
    """The scope the words ask for (mine, team, a person), within what the asker may see; the other words."""
    rest, mine, rep = [], False, None
    people = {u.name.casefold(): u for u in ctx.session.exec(select(User).where(col(User.active))).all()}
    for w in words:
        if w.casefold() in MINE:
            mine = True
        elif w.casefold() in TEAM:
            continue
        elif w.lstrip("@").casefold() in people:
            rep = people[w.lstrip("@").casefold()]
        else:
            rest.append(w)
    if rep is not None and not an.may_see(ctx.me, rep):
        ctx.say("You may only see your own scope; here it is.")
        rep = None
    return an.scope_for(ctx.me, rep=rep, mine=mine), rest


def _period(ctx: Ctx, words: list[str], default: Kind) -> Period | None:
    """The period the words name (the default when none), or None after listing the accepted forms."""
    today = ctx.local_now.date()
    if not words:
        return span(default, today)
    found = parse_period(" ".join(words), today)
    if found is None:
        ctx.say("I can't read the period “{w}”. Use one of: {a}",
                w=esc(" ".join(words)), a=ACCEPTED_ZH if ctx.lang == "zh" else ACCEPTED_EN)
    return found



@command("report",
         "/report funnel|sources|reps|stages|forecast|targets|service|csat|retention [period] [mine|team|USER]",
         "reports with charts: funnel, sources, reps, stages, forecast, targets, service tickets, satisfaction, "
         "retention", roles=SELLERS)
def report_cmd(ctx: Ctx, args: str) -> None:
    """Route /report KIND [period] [scope]."""
    words = args.split()
    kind = KINDS.get(words[0].casefold()) if words else None
    if kind is None:
        usage(ctx, "report")
        return
    if kind == "retention":
        retention_cmd(ctx, words[1:])
        return
    scope, rest = _scope_words(ctx, words[1:])
    period = _period(ctx, rest, DEFAULT_PERIOD[kind])
    if period is not None and kind == "service":
        send(ctx, service_report(ctx.session, scope, ticket_scope(ctx.me), period, ctx.lang, ctx.tz.key, ctx.now))
    elif period is not None and kind == "csat":
        start, end = period.bounds(zone(ctx.tz.key))
        send(ctx, csat_report(ctx.session, scope, period, ctx.lang, start, end, ctx.tz.key, ctx.now))
    elif period is not None:
        team = ctx.session.get(Team, ctx.me.team_id) if ctx.me.team_id is not None else None
        send(ctx, build(ctx.session, kind, scope, period, ctx.lang, ctx.tz.key, home=home_currency(ctx),
                        rates=rates(team), today=ctx.local_now.date(), now=ctx.now))


def retention_cmd(ctx: Ctx, words: list[str]) -> None:
    """/report retention [period] [scope] [page N]: repeat purchase, churned buyers (paged), lifetime value."""
    page, kept = 1, []
    for i, w in enumerate(words):
        if w.casefold() in ("page", "页", "第") or (i and words[i - 1].casefold() in ("page", "页", "第")
                                                  and w.isdigit()):
            if w.isdigit():
                page = max(1, min(int(w), 10_000))
            continue
        kept.append(w)
    scope, rest = _scope_words(ctx, kept)
    period = _period(ctx, rest, DEFAULT_PERIOD["retention"])
    if period is None:
        return
    team = ctx.session.get(Team, ctx.me.team_id) if ctx.me.team_id is not None else None
    answer, more = retention_report(ctx.session, scope, period, ctx.lang, ctx.tz.key, now=ctx.now,
                                    months=team.churn_months if team else 12, page=page, home=home_currency(ctx),
                                    rates=rates(team), more=" ".join(["/report retention", *kept, "page"]))
    send(ctx, answer)
    if more:
        ctx.replies[-1] = replace(ctx.replies[-1], buttons=(more,))


@command("pipeline", "/pipeline [mine|team]", "deals and amounts per stage, weighted forecast (with a chart)", roles=SELLERS)
def pipeline_cmd(ctx: Ctx, args: str) -> None:
    """Open deals per stage, summed in SQL, with a chart."""
    scope, rest = _scope_words(ctx, args.split())
    if rest:
        usage(ctx, "pipeline")
        return
    team = ctx.session.get(Team, ctx.me.team_id) if ctx.me.team_id is not None else None
    send(ctx, pipeline_report(ctx.session, scope, ctx.lang, ctx.local_now.strftime("%Y%m%d"),
                              home=home_currency(ctx), rates=rates(team)))


@command("target", "/target USER|team AMOUNT [period]", "set a sales target (managers, admins)", roles=MANAGERS)
def target_cmd(ctx: Ctx, args: str) -> None:
    """Set a rep's or the team's target for a period, then show the period's targets."""
    words = args.split()
    if len(words) < 2:
        usage(ctx, "target")
        return
    who, amount_word, rest = words[0].lstrip("@"), words[1], words[2:]
    two = read_amount(" ".join(words[1:3])) if len(words) > 2 else None  # "1.2M USD"
    if two is not None:
        amount_word, rest = " ".join(words[1:3]), words[3:]
    try:
        typed = two or money_arg(amount_word)
    except RuleError:
        ctx.say("“{v}” is not an amount. E.g. /target alice 500k 2026-Q4",
                v=esc(amount_word))
        return
    period = _period(ctx, rest, "quarter")
    if period is None:
        return
    target_user = None
    if who.casefold() not in TEAM:
        people = ctx.session.exec(select(User).where(col(User.active))).all()
        target_user = next((u for u in people if u.name.casefold() == who.casefold()), None)
        if target_user is None:
            ctx.say("No user “{n}” found.", n=esc(who))
            return
    if target_user is None and ctx.me.team_id is None:
        ctx.say("You belong to no team; name a person: /target USER AMOUNT")
        return
    if not may_set(ctx.me, user=target_user, team_id=ctx.me.team_id):
        ctx.say("You may set targets only for your own team.")
        return
    amount, currency = typed.amount, typed.currency or home_currency(ctx)
    if amount <= 0:
        ctx.say("The target must be more than 0.")
        return
    set_target(ctx.session, by=ctx.me, period_key=period.key, amount=amount, now=ctx.now, user=target_user,
               currency=currency,
               team_id=ctx.me.team_id)
    whose = esc(target_user.name) if target_user else ctx.t("the team")
    ctx.say("Set {u}'s target for {p}: {m}.", u=whose, p=period.label(ctx.lang),
            m=money(amount, currency))
    send(ctx, build(ctx.session, "targets", an.scope_for(ctx.me), period, ctx.lang, ctx.tz.key))


def monday_charts(session: Session, team_id: int, lang: str, *, now: datetime,
                  period: Period | None = None) -> list[Attachment]:
    """The team's funnel and leaderboard charts for the Monday digest (the week before `now`, the injected clock,
    unless told); none when empty."""
    team = session.get(Team, team_id)
    tz_name = team.tz if team else "Asia/Shanghai"
    today = now.astimezone(zone(tz_name)).date()
    period = period or span("week", today, -1)
    out = []
    for kind in ("funnel", "reps"):
        answer = build(session, kind, an.team_scope(team_id), period, lang, tz_name)
        if answer.draw is not None and answer.chart is not None:
            try:
                out.append(Attachment(answer.chart, "image/png", answer.draw()))
            except charts.NoCJKFont as exc:
                log.warning("digest chart not drawn: %s", exc)
    return out
