"""/report csat: the average satisfaction score, its trend by month and per rep, with a chart."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.i18n import tr
from handlers.markup import esc
from handlers.reporting import charts
from handlers.reporting.answer import Answer, scope_name, zone
from handlers.reporting.builders import month_label
from sales import analytics as an
from sales.analytics.csat import csat
from sales.analytics.periods import Period


def _avg(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def csat_report(session: Session, scope: an.Scope, period: Period, lang: str, start: datetime, end: datetime,
                tz_name: str, now: datetime) -> Answer:
    """Average score, answers and low scores; by month and per rep."""
    c = csat(session, scope, start, end, zone(tz_name), now=now)
    head = tr(lang, "*Satisfaction · {p}* ({s})", p=period.label(lang), s=scope_name(session, scope, lang))
    if not c.answers:
        return Answer(head + "\n" + tr(lang, "No survey was answered in this period (links made: {n}).", n=c.offered))
    lines = [head, tr(lang, "Average {a}/5 · answers: {n} · links made: {k} · low scores (1-2): {l}",
                      a=_avg(c.average), n=c.answers, k=c.offered, l=c.low)]
    if len(c.months) > 1:
        lines.append(tr(lang, "By month: {m}", m=" · ".join(
            f"{month_label(m.start, lang)} {_avg(m.average)}" + (f" ({m.answers})" if m.answers else "")
            for m in c.months)))
    lines.append(tr(lang, "Per rep:"))
    lines += [tr(lang, "{n}: {a}/5 · answers: {c} · low: {l}", n=esc(r.name), a=_avg(r.average), c=r.answers,
                 l=r.low) for r in c.reps]
    months = [charts.ScorePoint(month_label(m.start, lang), m.average, m.answers) for m in c.months]
    reps = [charts.ScorePoint(r.name, r.average, r.answers) for r in c.reps]
    title = tr(lang, "Satisfaction · {p} · average {a}", p=period.label(lang), a=_avg(c.average))
    names = (tr(lang, "by month"), tr(lang, "per rep"))
    return Answer("\n".join(lines), f"csat-{period.key}.png", lambda: charts.csat(title, months, reps, names))
