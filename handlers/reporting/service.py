"""/report service: tickets opened and resolved, median first-response and resolution hours, breaches, per rep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session

from handlers.i18n import tr
from handlers.markup import esc
from handlers.reporting import charts
from handlers.reporting.answer import Answer, scope_name, zone
from sales import analytics as an
from sales.analytics.periods import Period
from sales.analytics.service import service


def hours(value: float | None) -> str:
    """3.5 h, or — when there is nothing to measure."""
    return "—" if value is None else f"{value:.1f}".removesuffix(".0") + " h"


def service_report(session: Session, scope: an.Scope, visible: ColumnElement[bool], period: Period, lang: str,
                   tz_name: str, now: datetime) -> Answer:
    """The period's service figures for the scope, a line per assignee, and a chart of the medians."""
    start, end = period.bounds(zone(tz_name))
    total, reps = service(session, scope, visible, start, end, now)
    head = tr(lang, "*Service · {p}* ({s})", p=period.label(lang), s=scope_name(session, scope, lang))
    if not total.opened and not total.resolved:
        return Answer(head + "\n" + tr(lang, "No tickets opened or resolved in this period."))
    lines = [head, tr(lang, "Opened {o} · resolved {r} · median first response {f} · median resolution {x} · "
                            "breaches {b}", o=total.opened, r=total.resolved, f=hours(total.respond_hours),
                      x=hours(total.resolve_hours), b=total.breaches)]
    for r in reps:
        name = esc(r.name) if r.user_id else tr(lang, "nobody")
        lines.append(tr(lang, "{n}: opened {o} · resolved {r} · first response {f} · resolution {x} · breaches {b}",
                        n=name, o=r.opened, r=r.resolved, f=hours(r.respond_hours), x=hours(r.resolve_hours),
                        b=r.breaches))
    bars = [charts.Bar(r.name if r.user_id else tr(lang, "nobody"), r.respond_hours or 0.0, r.resolve_hours or 0.0,
                       tr(lang, "{o} opened · {b} breaches", o=r.opened, b=r.breaches)) for r in reps]
    title = tr(lang, "Service · {p}", p=period.label(lang))
    legend = (tr(lang, "median first response"), tr(lang, "median resolution"))
    return Answer("\n".join(lines), f"service-{period.key}.png",
                  lambda: charts.bars(title, bars, lang, money=False, unit=tr(lang, "hours"), legend=legend))
