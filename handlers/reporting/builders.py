"""Each report's text and chart: funnel, sources, reps, stages, forecast, targets and the pipeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session

from handlers.markup import esc
from handlers.reporting import charts
from handlers.reporting.answer import Answer, days, pct, scope_name, stage_name, t, whole, zone
from sales import analytics as an
from sales.analytics.periods import Period
from sales.analytics.stages import stage_times
from sales.analytics.targets import target_total, targets


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


def build(session: Session, kind: str, scope: an.Scope, period: Period, lang: str, tz_name: str) -> Answer:
    """One report's answer for a scope and period."""
    if kind == "forecast":
        return forecast_report(session, scope, period, lang, tz_name)
    start, end = period.bounds(zone(tz_name))
    make = {"funnel": funnel_report, "sources": sources_report, "reps": reps_report, "stages": stages_report,
            "targets": targets_report}[kind]
    return make(session, scope, period, lang, start, end)
