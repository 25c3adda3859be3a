"""Reports in chat: /pipeline, /report …, /target, each a short text and a chart; the Monday digest charts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from handlers import charts
from handlers.context import Ctx
from handlers.fmt import money
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Attachment, Reply
from sales import analytics as an
from sales.analytics_stages import stage_times
from sales.analytics_targets import may_set, set_target, target_total, targets
from sales.errors import RuleError
from sales.periods import ACCEPTED_EN, ACCEPTED_ZH, Kind, Period, parse_period, span
from sales.quotes import number
from storage.models import Stage, Team, User

log = logging.getLogger("salesbot.reports")
SELLERS = frozenset({"rep", "manager", "admin"})
KINDS = {"funnel": "funnel", "漏斗": "funnel", "sources": "sources", "source": "sources", "来源": "sources",
         "reps": "reps", "leaderboard": "reps", "排行": "reps", "排行榜": "reps", "stages": "stages",
         "阶段": "stages", "forecast": "forecast", "预测": "forecast", "targets": "targets", "target": "targets",
         "目标": "targets"}
DEFAULT_PERIOD: dict[str, Kind] = {"funnel": "month", "sources": "month", "reps": "month", "stages": "month",
                                   "forecast": "quarter", "targets": "quarter"}
MINE, TEAM = ("mine", "我的", "me", "我"), ("team", "团队", "all", "全部")
Draw = Callable[[], bytes]


@dataclass
class Answer:
    """A report's text and, unless the period is empty, how to draw its chart."""

    text: str
    chart: str | None = None  # the image's file name
    draw: Draw | None = None


def zone(name: str) -> ZoneInfo:
    """A time zone by name; Shanghai when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def t(lang: str, zh: str, en: str, **kw: object) -> str:
    """The text in `lang`, filled in."""
    return (zh if lang == "zh" else en).format(**kw)


def pct(share: float | None) -> str:
    """57% or —."""
    return "—" if share is None else f"{share * 100:.0f}%"


def days(value: float) -> str:
    """13 or 24.4 (days)."""
    return f"{value:.1f}".removesuffix(".0")


def stage_name(stage: Stage, lang: str) -> str:
    """A stage's name in the reader's language."""
    return stage.name_zh if lang == "zh" else stage.name_en


def whole(amount: Decimal) -> str:
    """Money rounded to the yuan."""
    return money(amount.quantize(Decimal(1)))


def send(ctx: Ctx, answer: Answer) -> None:
    """Answer with the text and the chart; without a CJK font, the text and why there is no chart."""
    image = None
    if answer.draw is not None and answer.chart is not None:
        try:
            image = Attachment(answer.chart, "image/png", answer.draw())
        except charts.NoCJKFont as exc:
            log.warning("chart not drawn: %s", exc)
            answer.text += ctx.t("\n（图表无法生成：服务器上没有中文字体，请安装 fonts-noto-cjk。）",
                                 "\n(No chart: the server has no CJK font; install fonts-noto-cjk.)")
        except Exception:
            # The figures stand without their picture; a drawing bug must not undo the turn (a /target).
            log.exception("chart %s failed", answer.chart)
            answer.text += ctx.t("\n（图表生成失败。）", "\n(The chart could not be drawn.)")
    ctx.replies.append(Reply(text=answer.text, image=image))


def scope_name(session: Session, scope: an.Scope, lang: str) -> str:
    """Whose numbers these are, for a heading."""
    if scope.kind == "user" and scope.user_id is not None:
        u = session.get(User, scope.user_id)
        return esc(u.name) if u else "?"
    if scope.kind == "team" and scope.team_id is not None:
        team = session.get(Team, scope.team_id)
        return esc(team.name) if team else t(lang, "团队", "team")
    return t(lang, "全公司", "everyone")


def funnel_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                  end: datetime) -> Answer:
    """Deals entering each stage, conversion to the next, win rate and cycle."""
    f = an.funnel(session, scope, start, end)
    head = t(lang, "*销售漏斗 · {p}*（{s}）", "*Funnel · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if f.empty:
        return Answer(head + "\n" + t(lang, "这段时间没有商机进入任何阶段，也没有成交或输单。",
                                      "No deal entered a stage, was won or was lost in this period."))
    lines = [head]
    for step in f.steps:
        tail = "" if step.stage.closed else t(lang, " → {c} 进入下一阶段", " → {c} moved on", c=pct(step.conversion))
        lines.append(f"{stage_name(step.stage, lang)} {step.entered}{tail}")
    cycle = "—" if f.avg_cycle_days is None else days(f.avg_cycle_days)
    lines.append(t(lang, "赢单 {w} · 输单 {l} · 赢率 {r} · 平均成交周期 {c} 天 · 赢单金额 {m}",
                   "Won {w} · lost {l} · win rate {r} · average cycle {c} days · won {m}",
                   w=f.won, l=f.lost, r=pct(f.win_rate), c=cycle, m=whole(f.revenue)))
    steps = [(stage_name(s.stage, lang), s.entered) for s in f.steps]
    between = [f"↓ {pct(s.conversion)}" for s in f.steps[:-1]]
    title = t(lang, "销售漏斗 · {p}", "Funnel · {p}", p=period.label(lang))
    return Answer("\n".join(lines), f"funnel-{period.key}.png", lambda: charts.funnel(title, steps, between))


def sources_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                   end: datetime) -> Answer:
    """Win rate and revenue per customer source."""
    rows = an.sources(session, scope, start, end)
    head = t(lang, "*客户来源 · {p}*（{s}）", "*Sources · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not rows:
        return Answer(head + "\n" + t(lang, "这段时间没有新商机，也没有成交或输单。",
                                      "No deal was opened, won or lost in this period."))
    unknown = t(lang, "未填来源", "no source")
    lines = [head] + [t(lang, "{n}：赢单 {w}/{c}（{r}）· {m} · 新商机 {d}",
                        "{n}: won {w}/{c} ({r}) · {m} · new deals {d}", n=esc(g.key or unknown), w=g.won,
                        c=g.won + g.lost, r=pct(g.win_rate), m=whole(g.revenue), d=g.new_deals) for g in rows]
    bars = [charts.Bar(g.key or unknown, float(g.revenue),
                       note=t(lang, "{m} · 赢率 {r}", "{m} · win {r}", m=charts.short_money(float(g.revenue), lang),
                              r=pct(g.win_rate))) for g in rows]
    title = t(lang, "各来源赢单金额 · {p}", "Won revenue by source · {p}", p=period.label(lang))
    return Answer("\n".join(lines), f"sources-{period.key}.png", lambda: charts.bars(title, bars, lang))


def reps_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                end: datetime) -> Answer:
    """The leaderboard."""
    rows = an.leaderboard(session, scope, start, end)
    head = t(lang, "*销售排行 · {p}*（{s}）", "*Leaderboard · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not any(r.figures.new_deals or r.figures.won or r.figures.lost or r.figures.activities for r in rows):
        return Answer(head + "\n" + t(lang, "这段时间没有活动、新商机或成交。",
                                      "No activities, new deals or closed deals in this period."))
    lines = [head] + [t(lang, "{i}. {n}：{m} · 赢单 {w} · 赢率 {r} · 新商机 {d} · 活动 {a}",
                        "{i}. {n}: {m} · won {w} · win rate {r} · new deals {d} · activities {a}",
                        i=i, n=esc(r.name), m=whole(r.figures.revenue), w=r.figures.won, r=pct(r.figures.win_rate),
                        d=r.figures.new_deals, a=r.figures.activities) for i, r in enumerate(rows, 1)]
    bars = [charts.Bar(r.name, float(r.figures.revenue),
                       note=t(lang, "{m} · 赢单 {w} · 活动 {a}", "{m} · won {w} · {a} activities",
                              m=charts.short_money(float(r.figures.revenue), lang), w=r.figures.won,
                              a=r.figures.activities)) for r in rows]
    title = t(lang, "销售排行 · {p}", "Leaderboard · {p}", p=period.label(lang))
    return Answer("\n".join(lines), f"leaderboard-{period.key}.png", lambda: charts.bars(title, bars, lang))


def stages_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                  end: datetime) -> Answer:
    """Median and p90 days in each stage."""
    rows = stage_times(session, scope, start, end)
    head = t(lang, "*阶段停留天数 · {p}*（{s}，按离开该阶段的时间统计）",
             "*Days in stage · {p}* ({s}, stays that ended in the period)", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not rows:
        return Answer(head + "\n" + t(lang, "这段时间没有商机离开任何阶段。", "No deal left a stage in this period."))
    lines = [head] + [t(lang, "{s}：中位 {m} 天 · P90 {p} 天（{n} 次）", "{s}: median {m} days · p90 {p} days ({n} stays)",
                        s=stage_name(r.stage, lang), m=days(r.median), p=days(r.p90), n=r.stays) for r in rows]
    bars = [charts.Bar(stage_name(r.stage, lang), r.median, r.p90,
                       t(lang, "中位 {m} · P90 {p} 天", "median {m} · p90 {p} d", m=days(r.median), p=days(r.p90)))
            for r in rows]
    title = t(lang, "各阶段停留天数 · {p}", "Days in each stage · {p}", p=period.label(lang))
    legend = (t(lang, "中位数", "median"), "P90")
    return Answer("\n".join(lines), f"stages-{period.key}.png",
                  lambda: charts.bars(title, bars, lang, money=False, unit=t(lang, "天", "days"), legend=legend))


def forecast_report(session: Session, scope: an.Scope, period: Period, lang: str, tz_name: str) -> Answer:
    """Won and weighted pipeline by expected close month against the target."""
    tz = zone(tz_name)
    f = an.forecast(session, scope, period, tz, target_total(session, scope, period.key))
    head = t(lang, "*销售预测 · {p}*（{s}）", "*Forecast · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if f.empty:
        return Answer(head + "\n" + t(lang, "这段时间没有赢单，也没有预计在这段时间成交的商机。",
                                      "Nothing was won and no open deal is expected to close in this period."))
    lines = [head]
    for m in f.months:
        lines.append(t(lang, "{mo}：已赢单 {w} · 预计成交 {n} 个 {a}，加权 {x}",
                       "{mo}: won {w} · {n} expected to close, {a}, weighted {x}", mo=month_label(m.start, lang),
                       w=whole(m.won), n=m.open_deals, a=whole(m.amount), x=whole(m.weighted)))
    total = f.won + f.weighted
    lines.append(t(lang, "合计：已赢单 {w} + 加权预测 {x} = {t}", "Total: won {w} + weighted {x} = {t}",
                   w=whole(f.won), x=whole(f.weighted), t=whole(total)))
    if f.target is not None:
        lines.append(t(lang, "目标 {g}，预计完成 {r}，还差 {d}", "Target {g}: {r} expected, {d} to go",
                       g=whole(f.target), r=pct(float(total / f.target)), d=whole(max(f.target - total, Decimal(0)))))
    if f.undated:
        lines.append(t(lang, "另有 {n} 个进行中的商机没有预计成交日期。", "{n} open deals have no expected close date.",
                       n=f.undated))
    months = [charts.MonthBar(month_label(m.start, lang), float(m.won), float(m.weighted)) for m in f.months]
    names = (t(lang, "已赢单", "won"), t(lang, "加权预测", "weighted pipeline"), t(lang, "累计", "running total"),
             t(lang, "目标", "target"))
    title = t(lang, "销售预测 · {p}", "Forecast · {p}", p=period.label(lang))
    target = float(f.target) if f.target is not None else None
    return Answer("\n".join(lines), f"forecast-{period.key}.png",
                  lambda: charts.forecast(title, months, target, lang, names))


def month_label(d: date, lang: str) -> str:
    """11月 / Nov."""
    return f"{d.month}月" if lang == "zh" else f"{d:%b}"


def targets_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                   end: datetime) -> Answer:
    """Targets against won revenue, with the gap to go."""
    rows = targets(session, scope, period.key, start, end)
    head = t(lang, "*目标完成 · {p}*（{s}）", "*Targets · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not rows:
        return Answer(head + "\n" + t(lang, "这段时间还没有设目标。经理可以设置：/target 用户 金额 {k}",
                                      "No targets are set for this period. A manager sets one: /target USER AMOUNT {k}",
                                      k=period.key))
    team = t(lang, "（团队）", " (team)")
    lines = [head] + [t(lang, "{n}{tm}：{a} / {g}（{r}），还差 {d}", "{n}{tm}: {a} of {g} ({r}), {d} to go",
                        n=esc(r.name), tm=team if r.team else "", a=whole(r.actual), g=whole(r.target),
                        r=pct(r.share), d=whole(r.gap)) for r in rows]
    bars = [charts.Bar(r.name + (team if r.team else ""), float(r.actual), float(r.target),
                       f"{pct(r.share)} · {charts.short_money(float(r.actual), lang)} / "
                       f"{charts.short_money(float(r.target), lang)}") for r in rows]
    title = t(lang, "目标完成 · {p}", "Targets · {p}", p=period.label(lang))
    legend = (t(lang, "已赢单", "won"), t(lang, "目标", "target"))
    return Answer("\n".join(lines), f"targets-{period.key}.png", lambda: charts.bars(title, bars, lang, legend=legend))


def pipeline_report(session: Session, scope: an.Scope, lang: str, stamp: str) -> Answer:
    """Open deals per stage with amounts and the weighted forecast."""
    loads = an.open_pipeline(session, scope)
    head = t(lang, "*销售管道*（{s}）", "*Pipeline* ({s})", s=scope_name(session, scope, lang))
    if not any(x.deals for x in loads):
        return Answer(head + "\n" + t(lang, "没有进行中的商机。", "No open deals."))
    lines = [head] + [f"{stage_name(x.stage, lang)} ({x.stage.probability}%): {x.deals} · {whole(x.amount)}"
                      for x in loads]
    total = sum((x.amount for x in loads), Decimal(0))
    weighted = sum((x.weighted for x in loads), Decimal(0))
    lines.append(t(lang, "合计 {t}，加权预测 {w}", "Total {t}, weighted forecast {w}", t=whole(total), w=whole(weighted)))
    bars = [charts.Bar(f"{stage_name(x.stage, lang)} {x.stage.probability}%", float(x.weighted), float(x.amount),
                       t(lang, "{n} 个 · {a}", "{n} deals · {a}", n=x.deals,
                         a=charts.short_money(float(x.amount), lang))) for x in loads]
    title = t(lang, "销售管道 · 加权 {w}", "Pipeline · weighted {w}", w=charts.short_money(float(weighted), lang))
    legend = (t(lang, "加权金额", "weighted"), t(lang, "金额", "amount"))
    return Answer("\n".join(lines), f"pipeline-{stamp}.png", lambda: charts.bars(title, bars, lang, legend=legend))


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
        ctx.say("你只能看到自己权限内的数据，下面是这些数据。", "You may only see your own scope; here it is.")
        rep = None
    return an.scope_for(ctx.me, rep=rep, mine=mine), rest


def _period(ctx: Ctx, words: list[str], default: Kind) -> Period | None:
    """The period the words name (the default when none), or None after listing the accepted forms."""
    today = ctx.local_now.date()
    if not words:
        return span(default, today)
    found = parse_period(" ".join(words), today)
    if found is None:
        ctx.say("看不懂时间段“{w}”。可以用：{a}", "I can't read the period “{w}”. Use one of: {a}",
                w=esc(" ".join(words)), a=ACCEPTED_ZH if ctx.lang == "zh" else ACCEPTED_EN)
    return found


def build(session: Session, kind: str, scope: an.Scope, period: Period, lang: str, tz_name: str) -> Answer:
    """One report's answer for a scope and period."""
    if kind == "forecast":
        return forecast_report(session, scope, period, lang, tz_name)
    start, end = period.bounds(zone(tz_name))
    make = {"funnel": funnel_report, "sources": sources_report, "reps": reps_report, "stages": stages_report,
            "targets": targets_report}[kind]
    return make(session, scope, period, lang, start, end)


@command("report", "/report funnel|sources|reps|stages|forecast|targets [period] [mine|team|USER]",
         "报表和图表：漏斗、来源、排行、阶段天数、预测、目标", "reports with charts: funnel, sources, reps, stages, "
         "forecast, targets", roles=SELLERS)
def report_cmd(ctx: Ctx, args: str) -> None:
    """Route /report KIND [period] [scope]."""
    words = args.split()
    kind = KINDS.get(words[0].casefold()) if words else None
    if kind is None:
        usage(ctx, "report")
        return
    scope, rest = _scope_words(ctx, words[1:])
    period = _period(ctx, rest, DEFAULT_PERIOD[kind])
    if period is not None:
        send(ctx, build(ctx.session, kind, scope, period, ctx.lang, ctx.tz.key))


@command("pipeline", "/pipeline [mine|team]", "各阶段的商机数和金额、加权预测（附图）",
         "deals and amounts per stage, weighted forecast (with a chart)", roles=SELLERS)
def pipeline_cmd(ctx: Ctx, args: str) -> None:
    """Open deals per stage, summed in SQL, with a chart."""
    scope, rest = _scope_words(ctx, args.split())
    if rest:
        usage(ctx, "pipeline")
        return
    send(ctx, pipeline_report(ctx.session, scope, ctx.lang, ctx.local_now.strftime("%Y%m%d")))


@command("target", "/target USER|team AMOUNT [period]", "设置销售目标（经理、管理员）",
         "set a sales target (managers, admins)", roles=frozenset({"manager", "admin"}))
def target_cmd(ctx: Ctx, args: str) -> None:
    """Set a rep's or the team's target for a period, then show the period's targets."""
    words = args.split()
    if len(words) < 2:
        usage(ctx, "target")
        return
    who, amount_word, rest = words[0].lstrip("@"), words[1], words[2:]
    try:
        amount = amount_of(amount_word)
    except RuleError:
        ctx.say("“{v}”不是金额。例如：/target alice 50万 2026-Q4", "“{v}” is not an amount. E.g. /target alice 500k 2026-Q4",
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
            ctx.say("没找到用户“{n}”。", "No user “{n}” found.", n=esc(who))
            return
    if target_user is None and ctx.me.team_id is None:
        ctx.say("你不属于任何团队，请指定一个人：/target 用户 金额", "You belong to no team; name a person: /target USER AMOUNT")
        return
    if not may_set(ctx.me, user=target_user, team_id=ctx.me.team_id):
        ctx.say("你只能给自己团队的人设目标。", "You may set targets only for your own team.")
        return
    if amount <= 0:
        ctx.say("目标金额必须大于 0。", "The target must be more than 0.")
        return
    set_target(ctx.session, by=ctx.me, period_key=period.key, amount=amount, now=ctx.now, user=target_user,
               team_id=ctx.me.team_id)
    whose = esc(target_user.name) if target_user else ctx.t("团队", "the team")
    ctx.say("已设置 {u} {p} 的目标：{m}。", "Set {u}'s target for {p}: {m}.", u=whose, p=period.label(ctx.lang),
            m=whole(amount))
    send(ctx, build(ctx.session, "targets", an.scope_for(ctx.me), period, ctx.lang, ctx.tz.key))


def amount_of(word: str) -> Decimal:
    """An amount as typed: 500000, 50万, 1.5亿, 500k, 2m."""
    w = word.strip()
    for suffix, mult in (("亿", 10**8), ("m", 10**6), ("M", 10**6)):
        if w.endswith(suffix):
            return number(w[: -len(suffix)]) * mult
    return number(w)


def monday_charts(session: Session, team_id: int, lang: str, *, now: datetime | None = None,
                  period: Period | None = None) -> list[Attachment]:
    """The team's funnel and leaderboard charts for the Monday digest (last week unless told); none when empty."""
    team = session.get(Team, team_id)
    tz_name = team.tz if team else "Asia/Shanghai"
    today = (now or datetime.now(UTC)).astimezone(zone(tz_name)).date()
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
