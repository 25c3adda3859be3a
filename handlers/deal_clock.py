"""A deal's time in its stage against the stage's target, as one line ("方案报价 第 5 天 / 目标 3 天"): the deal card
calls `card_line`; reminders, digests and /report stages word a stay with `stay_line`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.fmt import stage_name
from handlers.i18n import tr
from sales.reminders.calendar import Calendar
from sales.reminders.stalls import Stay, stay_of
from storage.models import Deal, Team, User


def stay_line(stay: Stay, lang: str) -> str:
    """"Proposal day 5 / target 3 working days", ⚠️ first when over; a won deal's stay is its payment (回款)."""
    name = tr(lang, "Payment") if stay.stage.key == "won" else stage_name(stay.stage, lang)
    text = tr(lang, "{s} day {n} / target {g} working days", s=name, n=stay.day, g=stay.target)
    return ("⚠️ " + text) if stay.over else text


def calendar_of(session: Session, user_id: int, default_tz: str) -> Calendar:
    """A person's reminder calendar: their zone in their team's working days."""
    user = session.get(User, user_id)
    team = session.get(Team, user.team_id) if user is not None and user.team_id is not None else None
    return Calendar.of(team, user, default_tz)


def card_line(session: Session, deal: Deal, lang: str, now: datetime, default_tz: str) -> str | None:
    """The deal card's line about its time in stage, or None when its stage has no target (or it is paid, or lost)."""
    stay = stay_of(session, deal, calendar_of(session, deal.owner_id, default_tz), now)
    return stay_line(stay, lang) if stay is not None else None
