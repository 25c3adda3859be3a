"""The expected close date in one tap: the choices (end of this month, of next month, of the quarter), the question
asked when a deal is opened or qualified, and the slipped and undated deals listed with their fixes."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.context import Ctx
from handlers.fmt import day, money
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.registry import click
from handlers.types import Button
from sales.analytics.closing import Dated, Fixes
from sales.refs import as_id

THIS_MONTH, NEXT_MONTH, QUARTER = N_("End of this month"), N_("End of next month"), N_("End of quarter")
SHORT = {THIS_MONTH: N_("#{id} → end of month"), NEXT_MONTH: N_("#{id} → end of next month"),
         QUARTER: N_("#{id} → end of quarter")}


def month_end(d: date, months_ahead: int = 0) -> date:
    """The last day of the month `months_ahead` after the month of `d`."""
    m = d.year * 12 + d.month - 1 + months_ahead + 1
    return date(m // 12, m % 12 + 1, 1) - timedelta(days=1)


def choices(today: date) -> list[tuple[str, date]]:
    """(label, date) of the one-tap close dates, a date offered once (in December the quarter ends with the month)."""
    quarter = month_end(date(today.year, (today.month - 1) // 3 * 3 + 3, 1))
    out: list[tuple[str, date]] = []
    for label, d in ((THIS_MONTH, month_end(today)), (NEXT_MONTH, month_end(today, 1)), (QUARTER, quarter)):
        if all(d != seen for _, seen in out):
            out.append((label, d))
    return out


def set_action(deal_id: int | None, d: date) -> str:
    """The payload of a button that sets a deal's expected close (the /deal edit command, checked and audited)."""
    return f"say:/deal edit {deal_id} close {d.isoformat()}"


def ask(ctx: Ctx, deal_id: int | None, current: date | None = None) -> None:
    """Ask when the deal is expected to close: one tap for the usual dates, or Skip (or Keep the one it has)."""
    today = ctx.local_now.date()
    row = [ctx.button(f"{ctx.t(label)} {d.month}/{d.day}", set_action(deal_id, d)) for label, d in choices(today)]
    if current is not None and current >= today:
        ctx.say("Expected close: {d}. Change it?", d=day(current, ctx.lang),
                buttons=(tuple(row), (ctx.button(ctx.t("Keep"), f"dl.skip:{deal_id}"),)))
        return
    ctx.say("When is deal #{id} expected to close? (or /deal {id} close DATE)", id=deal_id,
            buttons=(tuple(row), (ctx.button(ctx.t("Skip"), f"dl.skip:{deal_id}"),)))


@click("dl.skip", personal=True)
def skip(ctx: Ctx, arg: str) -> None:
    """No close date now: the forecast lists the deal to be dated."""
    ctx.say("OK. Set it later: /deal {id} close DATE", id=as_id(arg) or arg[:12])


def fix_buttons(lang: str, dated: list[Dated], today: date) -> tuple[tuple[Button, ...], ...]:
    """A row per deal: its one-tap new close dates."""
    return tuple(tuple(Button(tr(lang, SHORT[label], id=x.deal.id), set_action(x.deal.id, d))
                       for label, d in choices(today)) for x in dated)


def fix_lines(lang: str, fixes: Fixes, *, owners: bool) -> list[str]:
    """The slipped deals (with the date that passed) and the undated ones, each a line, the owner named when asked."""
    def line(x: Dated, when: str) -> str:
        who = f" ({esc(x.owner)})" if owners else ""
        return f"• #{x.deal.id} {esc(x.customer)} · {esc(x.deal.title)} · {money(x.deal.amount, x.deal.currency)}" \
               f"{when}{who}"

    out = []
    if fixes.slipped_count:
        out.append(tr(lang, "*Slipped: expected close passed, still open ({n})*", n=fixes.slipped_count))
        out += [line(x, " · " + tr(lang, "was {d}", d=day(x.deal.expected_close, lang))) for x in fixes.slipped
                if x.deal.expected_close is not None]
        if fixes.slipped_count > len(fixes.slipped):
            out.append("  " + tr(lang, "… and {n} more", n=fixes.slipped_count - len(fixes.slipped)))
    if fixes.undated_count:
        out.append(tr(lang, "*No expected close date ({n})*", n=fixes.undated_count))
        out += [line(x, "") for x in fixes.undated]
        if fixes.undated_count > len(fixes.undated):
            out.append("  " + tr(lang, "… and {n} more", n=fixes.undated_count - len(fixes.undated)))
    return out
