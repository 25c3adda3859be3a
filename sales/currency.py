"""Currencies: a team's own, and the exchange rates an admin sets (never guessed, never fetched)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from sales import audit
from sales.errors import RuleError
from storage.models import Team, User

CODES = ("CNY", "USD", "EUR", "GBP", "HKD", "JPY")


def team_currency(session: Session, team_id: int | None) -> str:
    """The currency an unmarked amount is in: the team's (CNY when none is set)."""
    team = session.get(Team, team_id) if team_id is not None else None
    return team.currency if team is not None and team.currency else "CNY"


def rates(team: Team | None) -> dict[str, Decimal]:
    """The team's rates: what one unit of each currency is worth in the team's currency."""
    out: dict[str, Decimal] = {}
    for part in (team.fx_rates if team else "").split():
        code, _, value = part.partition("=")
        try:
            out[code] = Decimal(value)
        except InvalidOperation:
            continue
    return out


def set_rate(session: Session, *, team: Team, code: str, rate: Decimal, by: User, now: datetime) -> None:
    """An admin sets what one `code` is worth in the team's currency (0 removes the rate)."""
    code = code.upper()
    if code not in CODES or code == team.currency:
        raise RuleError("bad_currency", currency=code)
    if rate < 0 or rate > Decimal(100000):
        raise RuleError("bad_rate", rate=str(rate))
    table = rates(team)
    before = {"rate": table.get(code), "currency": code}
    if rate == 0:
        table.pop(code, None)
    else:
        table[code] = rate.normalize()
    team.fx_rates = " ".join(f"{k}={v:f}" for k, v in sorted(table.items()))
    session.add(team)
    audit.record(session, by=by.id, action="update", entity="team", entity_id=team.id, now=now,
                 before=before, after={"rate": table.get(code), "currency": code})


def totals(pairs: Iterable[tuple[str | None, Decimal | None]]) -> dict[str, Decimal]:
    """Sums per currency of (currency, amount) pairs; amounts without a currency are CNY."""
    out: dict[str, Decimal] = {}
    for code, amount in pairs:
        if amount is not None:
            out[code or "CNY"] = out.get(code or "CNY", Decimal(0)) + amount
    return out


def converted(sums: dict[str, Decimal], home: str, table: dict[str, Decimal]) -> Decimal | None:
    """The sums in the home currency at the set rates; None when a currency has no rate."""
    total = Decimal(0)
    for code, amount in sums.items():
        if code == home:
            total += amount
        elif code in table:
            total += amount * table[code]
        else:
            return None
    return total
