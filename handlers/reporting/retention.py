"""/report retention: repeat-purchase rate, churned buyers (a page of them) and lifetime value by grade and source."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from handlers.fmt import day as fmt_day
from handlers.i18n import NP_, tr, trn
from handlers.markup import esc
from handlers.reporting import charts
from handlers.reporting.answer import Answer, pct, scope_name, whole, zone
from handlers.types import Button
from sales import analytics as an
from sales.analytics.periods import Period
from sales.analytics.retention import PAGE, order_value, retention
from sales.sources import label as source_label

BUYERS = NP_("{k}: {avg} a customer · {n} customer · {t} in all", "{k}: {avg} a customer · {n} customers · {t} in all")


def retention_report(session: Session, scope: an.Scope, period: Period, lang: str, tz_name: str, *, now: datetime,
                     months: int = 12, page: int = 1, home: str = "CNY", rates: dict[str, Decimal] | None = None,
                     more: str | None = None) -> tuple[Answer, tuple[Button, ...]]:
    """The report's text and chart, and a button to the next page of churned buyers (`more` + page number)."""
    tz = zone(tz_name)
    start, end = period.bounds(tz)
    r = retention(session, scope, start, end, now=now, months=months, offset=(page - 1) * PAGE,
                  value=order_value(home, rates))
    head = tr(lang, "*Retention · {p}* ({s})", p=period.label(lang), s=scope_name(session, scope, lang))
    if not r.customers:
        return Answer(head + "\n" + tr(lang, "No customer has an order yet.")), ()
    lines = [head,
             tr(lang, "Repeat purchase: {r} ({k} of {b} customers who ordered in the period have ordered twice or more)",
                r=pct(r.repeat_rate), k=r.repeat, b=r.buyers),
             tr(lang, "Churned: {n} of {c} buyers ({r}), no order and no activity for {m} months as of {d}",
                n=r.churned, c=r.customers, r=pct(r.churn_rate), m=r.months,
                d=fmt_day((r.as_of or now).astimezone(tz).date(), lang))]
    for x in r.page:
        act = fmt_day(x.last_activity.astimezone(tz).date(), lang) if x.last_activity else "—"
        lines.append("  " + tr(lang, "#{i} {n} · {g} · {o} · last order {d} · last activity {a}", i=x.customer_id,
                               n=esc(x.name), g=x.grade, o=esc(x.owner),
                               d=fmt_day(x.last_order.astimezone(tz).date(), lang), a=act))
    shown = (page - 1) * PAGE + len(r.page)
    if r.page and shown < r.churned:
        lines.append("  " + tr(lang, "{a}–{b} of {n}", a=(page - 1) * PAGE + 1, b=shown, n=r.churned))
    lines.append(tr(lang, "Lifetime value by grade:"))
    lines += ["  " + trn(lang, *BUYERS, g.customers, k=g.key, avg=whole(g.average), t=whole(g.total))
              for g in r.by_grade]
    unknown = tr(lang, "no source")
    lines.append(tr(lang, "Lifetime value by source:"))
    lines += ["  " + trn(lang, *BUYERS, g.customers, k=esc(source_label(g.key, lang) or unknown),
                         avg=whole(g.average), t=whole(g.total)) for g in r.by_source]
    buttons: tuple[Button, ...] = ()
    if more is not None and shown < r.churned:
        buttons = (Button(tr(lang, "More churned customers"), f"say:{more} {page + 1}"),)
    bars = [charts.Bar(source_label(g.key, lang) or unknown, float(g.average),
                       note=tr(lang, "{m} · {n} customers", m=charts.short_money(float(g.average), lang), n=g.customers))
            for g in r.by_source]
    title = tr(lang, "Lifetime value a customer by source · {p}", p=period.label(lang))
    draw: Any = (lambda: charts.bars(title, bars, lang)) if bars else None
    return Answer("\n".join(lines), f"retention-{period.key}.png" if bars else None, draw), buttons
