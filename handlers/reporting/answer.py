"""What a report answer is made of: its text and chart (Answer) and the words and figures its text uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from handlers.fmt import money
from handlers.i18n import tr
from handlers.markup import esc
from handlers.types import Button
from sales import analytics as an
from storage.models import Team, User

Draw = Callable[[], bytes]


@dataclass
class Answer:
    """A report's text and, unless the period is empty, how to draw its chart."""

    text: str
    chart: str | None = None  # the image's file name
    draw: Draw | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()


def zone(name: str) -> ZoneInfo:
    """A time zone by name; Shanghai when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")




def pct(share: float | None) -> str:
    """57% or —."""
    return "—" if share is None else f"{share * 100:.0f}%"


def days(value: float) -> str:
    """13 or 24.4 (days)."""
    return f"{value:.1f}".removesuffix(".0")


def whole(amount: Decimal) -> str:
    """Money rounded to the yuan."""
    return money(amount.quantize(Decimal(1), ROUND_HALF_UP))


def scope_name(session: Session, scope: an.Scope, lang: str) -> str:
    """Whose numbers these are, for a heading."""
    if scope.kind == "user" and scope.user_id is not None:
        u = session.get(User, scope.user_id)
        return esc(u.name) if u else "?"
    if scope.kind == "team" and scope.team_id is not None:
        team = session.get(Team, scope.team_id)
        return esc(team.name) if team else tr(lang, "team")
    return tr(lang, "everyone")
