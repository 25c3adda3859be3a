"""Each report's text and chart: funnel, sources, reps, stages, forecast, targets and the pipeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from handlers.closing import fix_buttons, fix_lines
from handlers.deal_clock import stay_line
from handlers.fmt import money, monies, stage_name
from handlers.i18n import N_, tr, trn
from handlers.markup import esc
from handlers.reporting import charts
from handlers.reporting.answer import Answer, days, pct, scope_name, whole, zone
from sales import analytics as an
from sales import currency
from sales.analytics import closing
from sales.analytics.periods import Period
from sales.analytics.stages import stage_times, working_medians
from sales.analytics.targets import TargetRow, target_total, targets
from sales.reminders import People, stalls
from sales.sources import label as source_label


def funnel_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                  end: datetime, value: Any = None) -> Answer:
    """The cohort funnel of the deals opened in the period (it never widens), then the period's closings."""
    f = an.funnel(session, scope, start, end, value)
    head = tr(lang, "*Funnel · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if f.empty:
        return Answer(head + "\n" + tr(lang, "No deal was opened, won or lost in this period."))
    lines = [head, trn(lang, "{n} deal opened in the period, each counted at every stage it reached:",
                       "{n} deals opened in the period, each counted at every stage it reached:", f.opened)]
    for step in f.steps:
        tail = "" if step.stage.closed else tr(lang, " → {c} moved on", c=pct(step.conversion))
        lines.append(f"{stage_name(step.stage, lang)} {step.entered}{tail}")
    if f.opened:
        lines.append(tr(lang, "Of them: won {w} · lost {l} · still open {o}", w=f.cohort_won, l=f.cohort_lost,
                        o=f.opened - f.cohort_won - f.cohort_lost))
    cycle = "—" if f.avg_cycle_days is None else days(f.avg_cycle_days)
    lines.append(tr(lang, "Closed in the period, whenever opened: won {w} · lost {l} · win rate {r} · average "
                          "cycle {c} days · won {m}", w=f.won, l=f.lost, r=pct(f.win_rate), c=cycle,
                    m=whole(f.revenue)))
    steps = [(stage_name(s.stage, lang), s.entered) for s in f.steps]
    between = [f"↓ {pct(s.conversion)}" for s in f.steps[:-1]]
    title = tr(lang, "Funnel · {p}", p=period.label(lang))
    return Answer("\n".join(lines), f"funnel-{period.key}.png", lambda: charts.funnel(title, steps, between))


def sources_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                   end: datetime, value: Any = None) -> Answer:
    """Win rate and revenue per customer source."""
    rows = an.sources(session, scope, start, end, value)
    head = tr(lang, "*Sources · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not rows:
        return Answer(head + "\n" + tr(lang, "No deal was opened, won or lost in this period."))
    unknown = tr(lang, "no source")
    lines = [head] + [tr(lang, "{n}: won {w}/{c} ({r}) · {m} · new deals {d}", n=esc(source_label(g.key, lang) or unknown), w=g.won,
                        c=g.won + g.lost, r=pct(g.win_rate), m=whole(g.revenue), d=g.new_deals) for g in rows]
    bars = [charts.Bar(source_label(g.key, lang) or unknown, float(g.revenue),
                       note=tr(lang, "{m} · win {r}", m=charts.short_money(float(g.revenue), lang),
                              r=pct(g.win_rate))) for g in rows]
    title = tr(lang, "Won revenue by source · {p}", p=period.label(lang))
    return Answer("\n".join(lines), f"sources-{period.key}.png", lambda: charts.bars(title, bars, lang))


def reps_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                end: datetime, value: Any = None) -> Answer:
    """The leaderboard."""
    rows = an.leaderboard(session, scope, start, end, value)
    head = tr(lang, "*Leaderboard · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not any(r.figures.new_deals or r.figures.won or r.figures.lost or r.figures.activities for r in rows):
        return Answer(head + "\n" + tr(lang, "No activities, new deals or closed deals in this period."))
    lines = [head] + [tr(lang, "{i}. {n}: {m} · won {w} · win rate {r} · new deals {d} · activities {a}",
                        i=i, n=esc(r.name), m=whole(r.figures.revenue), w=r.figures.won, r=pct(r.figures.win_rate),
                        d=r.figures.new_deals, a=r.figures.activities) for i, r in enumerate(rows, 1)]
    bars = [charts.Bar(r.name, float(r.figures.revenue),
                       note=tr(lang, "{m} · won {w} · {a} activities",
                              m=charts.short_money(float(r.figures.revenue), lang), w=r.figures.won,
                              a=r.figures.activities)) for r in rows]
    title = tr(lang, "Leaderboard · {p}", p=period.label(lang))
    return Answer("\n".join(lines), f"leaderboard-{period.key}.png", lambda: charts.bars(title, bars, lang))


def stages_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                  end: datetime, value: Any = None, now: datetime | None = None) -> Answer:
    """Median and p90 days in each stage, the median in working days against the stage's target, and the deals
    over their stage's target now."""
    rows = stage_times(session, scope, start, end)
    head = tr(lang, "*Days in stage · {p}* ({s}, stays that ended in the period)", p=period.label(lang),
             s=scope_name(session, scope, lang))
    people = People.load(session)
    over = [] if now is None else [x for x in stalls.stays(session, where=an.deals_in(scope), cal_of=people.calendar,
                                                          now=now, over_only=True) if x.over]
    over.sort(key=lambda x: (-(x.day - (x.target or 0)), x.deal.id or 0))
    tail = []
    if over:
        tail.append(tr(lang, "*Over their stage's target now ({n})*", n=len(over)))
        tail += [f"• #{x.deal.id} {esc(x.customer)} · {esc(x.deal.title)} · {stay_line(x, lang)}" for x in over[:10]]
    if not rows:
        return Answer("\n".join([head, tr(lang, "No deal left a stage in this period."), *tail]))
    working = working_medians(session, scope, start, end, people.calendar)
    lines = [head]
    for r in rows:
        line = tr(lang, "{s}: median {m} days · p90 {p} days ({n} stays)", s=stage_name(r.stage, lang),
                  m=days(r.median), p=days(r.p90), n=r.stays)
        if r.stage.target_days and r.stage.key in working:
            w = working[r.stage.key]
            line += " · " + tr(lang, "median {w} working days / target {g}", w=days(w), g=r.stage.target_days) + (
                " ⚠️" if w > r.stage.target_days else "")
        lines.append(line)
    bars = [charts.Bar(stage_name(r.stage, lang), r.median, r.p90,
                       tr(lang, "median {m} · p90 {p} d", m=days(r.median), p=days(r.p90)))
            for r in rows]
    title = tr(lang, "Days in each stage · {p}", p=period.label(lang))
    legend = (tr(lang, "median"), "P90")
    return Answer("\n".join(lines + tail), f"stages-{period.key}.png",
                  lambda: charts.bars(title, bars, lang, money=False, unit=tr(lang, "days"), legend=legend))


def forecast_report(session: Session, scope: an.Scope, period: Period, lang: str, tz_name: str,
                    value: Any = None, today: date | None = None) -> Answer:
    """Won and weighted pipeline by expected close month against the target; a month already over shows only what
    was won; slipped and undated deals apart, with one-tap new dates."""
    tz = zone(tz_name)
    f = an.forecast(session, scope, period, tz, target_total(session, scope, period.key), value, today=today)
    head = tr(lang, "*Forecast · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    fixes = closing.to_fix(session, scope, today) if today is not None and period.end > today else None
    fix = fix_lines(lang, fixes, owners=scope.kind != "user") if fixes is not None else []
    buttons = fix_buttons(lang, fixes.slipped + fixes.undated, today) if fixes is not None and today else ()
    if f.empty:
        text = head + "\n" + tr(lang, "Nothing was won and no open deal is expected to close in this period.")
        return Answer("\n".join([text, *fix]), buttons=buttons)
    lines = [head]
    for m in f.months:
        if m.past:
            lines.append(tr(lang, "{mo}: won {w}", mo=month_label(m.start, lang), w=whole(m.won)))
        else:
            lines.append(tr(lang, "{mo}: won {w} · {n} expected to close, {a}, weighted {x}",
                            mo=month_label(m.start, lang), w=whole(m.won), n=m.open_deals, a=whole(m.amount),
                            x=whole(m.weighted)))
    total = f.won + f.weighted
    lines.append(tr(lang, "Total: won {w} + weighted {x} = {t}",
                   w=whole(f.won), x=whole(f.weighted), t=whole(total)))
    if f.target is not None:
        over = _past(total, f.target)
        lines.append(tr(lang, N_("Target {g}: {r} expected, {d} over") if over > 0 else
                        N_("Target {g}: {r} expected, target reached") if over == 0 else
                        N_("Target {g}: {r} expected, {d} to go"),
                        g=whole(f.target), r=pct(float(total / f.target)), d=whole(abs(over))))
    lines += fix
    months = [charts.MonthBar(month_label(m.start, lang), float(m.won), float(m.weighted)) for m in f.months]
    names = (tr(lang, "won"), tr(lang, "weighted pipeline"), tr(lang, "running total"),
             tr(lang, "target"))
    title = tr(lang, "Forecast · {p}", p=period.label(lang))
    target = float(f.target) if f.target is not None else None
    return Answer("\n".join(lines), f"forecast-{period.key}.png",
                  lambda: charts.forecast(title, months, target, lang, names), buttons=buttons)


def _past(actual: Decimal, target: Decimal) -> Decimal:
    """How far `actual` is past `target`, in whole yuan as shown (negative: still to go)."""
    return (actual - target).quantize(Decimal(1), ROUND_HALF_UP)


def _target_line(lang: str, r: TargetRow, team: str) -> str:
    """One target: won of target, and how far over or still to go ("target reached" at it; never "¥0 to go")."""
    over = _past(r.actual, r.target)
    text = (N_("{n}{tm}: {a} of {g} ({r}), {d} over") if over > 0 else
            N_("{n}{tm}: {a} of {g} ({r}), target reached") if over == 0 else N_("{n}{tm}: {a} of {g} ({r}), {d} to go"))
    return tr(lang, text, n=esc(r.name), tm=team if r.team else "", a=whole(r.actual), g=whole(r.target),
              r=pct(r.share), d=whole(abs(over)))


def month_label(d: date, lang: str) -> str:
    """11月 / Nov."""
    return f"{d.month}月" if lang == "zh" else f"{d:%b}"


def targets_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime,
                   end: datetime, value: Any = None) -> Answer:
    """Targets against won revenue, with the gap to go."""
    rows = targets(session, scope, period.key, start, end, value)
    head = tr(lang, "*Targets · {p}* ({s})", p=period.label(lang),
             s=scope_name(session, scope, lang))
    if not rows:
        return Answer(head + "\n" + tr(lang, "No targets are set for this period. A manager sets one: /target USER AMOUNT {k}",
                                      k=period.key))
    team = tr(lang, " (team)")
    lines = [head] + [_target_line(lang, r, team) for r in rows]
    bars = [charts.Bar(r.name + (team if r.team else ""), float(r.actual), float(r.target),
                       f"{pct(r.share)} · {charts.short_money(float(r.actual), lang)} / "
                       f"{charts.short_money(float(r.target), lang)}") for r in rows]
    title = tr(lang, "Targets · {p}", p=period.label(lang))
    legend = (tr(lang, "won"), tr(lang, "target"))
    return Answer("\n".join(lines), f"targets-{period.key}.png", lambda: charts.bars(title, bars, lang, legend=legend))


def _rounded(sums: dict[str, Decimal]) -> dict[str, Decimal]:
    return {k: v.quantize(Decimal(1), ROUND_HALF_UP) for k, v in sums.items()}


def pipeline_report(session: Session, scope: an.Scope, lang: str, stamp: str, *, home: str = "CNY",
                    rates: dict[str, Decimal] | None = None) -> Answer:
    """Open deals per stage with amounts and the weighted forecast, totalled per currency; converted into the
    team's currency (and saying at which rates) when an admin set a rate for each of them."""
    loads = an.open_pipeline(session, scope)
    head = tr(lang, "*Pipeline* ({s})", s=scope_name(session, scope, lang))
    if not any(x.deals for x in loads):
        return Answer(head + "\n" + tr(lang, "No open deals."))
    lines = [head] + [f"{stage_name(x.stage, lang)} ({x.stage.probability}%): {x.deals} · "
                      f"{monies(_rounded(x.amounts)) if x.amounts else whole(x.amount)}" for x in loads]
    totals = currency.totals((k, v) for x in loads for k, v in x.amounts.items())
    weighteds = currency.totals((k, v) for x in loads for k, v in x.weighteds.items())
    total = sum((x.amount for x in loads), Decimal(0))
    weighted = sum((x.weighted for x in loads), Decimal(0))
    lines.append(tr(lang, "Total {t}, weighted forecast {w}", t=monies(_rounded(totals)) if totals else whole(total),
                    w=monies(_rounded(weighteds)) if weighteds else whole(weighted)))
    table = rates or {}
    all_in = currency.converted(totals, home, table)
    if len(totals) > 1 and all_in is not None:
        weighted = currency.converted(weighteds, home, table) or weighted
        total = all_in
        used = ", ".join(f"{k} {table[k].normalize():f}" for k in sorted(totals) if k != home)
        lines.append(tr(lang, "≈ {t} in all, weighted ≈ {w}, at {r}", t=money(all_in.quantize(Decimal(1), ROUND_HALF_UP), home),
                        w=money(weighted.quantize(Decimal(1), ROUND_HALF_UP), home), r=used))
    elif len(totals) > 1:
        lines.append(tr(lang, "Totals are per currency: an admin can set rates with /config rate USD 7.10"))
    bars = [charts.Bar(f"{stage_name(x.stage, lang)} {x.stage.probability}%", float(x.weighted), float(x.amount),
                       tr(lang, "{n} deals · {a}", n=x.deals,
                         a=charts.short_money(float(x.amount), lang))) for x in loads]
    title = tr(lang, "Pipeline · weighted {w}", w=charts.short_money(float(weighted), lang))
    legend = (tr(lang, "weighted"), tr(lang, "amount"))
    return Answer("\n".join(lines), f"pipeline-{stamp}.png", lambda: charts.bars(title, bars, lang, legend=legend))


def build(session: Session, kind: str, scope: an.Scope, period: Period, lang: str, tz_name: str, *,
          home: str = "CNY", rates: dict[str, Decimal] | None = None, today: date | None = None,
          now: datetime | None = None) -> Answer:
    """One report's answer for a scope and period; money in the team's currency, other currencies converted at
    the rates an admin set (and said so) or left out of the sums (and said so)."""
    value = an.valued(home, rates)
    if kind == "forecast":
        answer = forecast_report(session, scope, period, lang, tz_name, value, today)
    else:
        start, end = period.bounds(zone(tz_name))
        if kind == "stages":
            answer = stages_report(session, scope, period, lang, start, end, value, now)
        else:
            make = {"funnel": funnel_report, "sources": sources_report, "reps": reps_report,
                    "targets": targets_report}[kind]
            answer = make(session, scope, period, lang, start, end, value)
    if kind != "stages":
        answer.text += currency_note(session, scope, lang, home, rates or {})
    return answer


def currency_note(session: Session, scope: an.Scope, lang: str, home: str, rates: dict[str, Decimal]) -> str:
    """How deals in other currencies were counted: at which rate, or not at all for lack of one."""
    others = sorted(c for c in an.currencies(session, scope) if c != home)
    if not others:
        return ""
    at = [f"{c} {rates[c].normalize():f}" for c in others if c in rates]
    left = [c for c in others if c not in rates]
    note = ""
    if at:
        note += "\n" + tr(lang, "≈ amounts in {h}, at {r}", h=home, r=", ".join(at))
    if left:
        note += "\n" + tr(lang, "Deals in {c} are left out of the sums: no exchange rate (an admin sets one: "
                                 "/config rate {x} 7.10)", c=", ".join(left), x=left[0])
    return note
