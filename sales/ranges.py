"""Sane ranges for what people type: amounts in whole cents, payment dates within ten years back, follow-ups
within three years ahead. Outside them an input is a typo, refused with a RuleError saying what is allowed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sales.errors import RuleError

CENT = Decimal("0.01")
PAYMENT_YEARS_BACK = 10
FOLLOWUP_HORIZON = timedelta(days=3 * 366)


def check_money(amount: Decimal) -> Decimal:
    """A positive amount in whole cents (0.001 is a typo, not a payment)."""
    if amount <= 0:
        raise RuleError("amount_not_positive")
    if amount < CENT or amount != amount.quantize(CENT):
        raise RuleError("amount_cents")
    return amount


def check_paid_on(paid_on: date, today: date) -> date:
    """A payment day that has come, at most PAYMENT_YEARS_BACK years ago."""
    if paid_on > today:
        raise RuleError("paid_in_future", date=paid_on.isoformat())
    if paid_on < today - timedelta(days=365 * PAYMENT_YEARS_BACK + PAYMENT_YEARS_BACK // 4):
        raise RuleError("paid_too_old", date=paid_on.isoformat(), years=PAYMENT_YEARS_BACK)
    return paid_on


def check_followup(due: datetime, now: datetime) -> datetime:
    """A follow-up at most FOLLOWUP_HORIZON ahead."""
    if due - now > FOLLOWUP_HORIZON:
        raise RuleError("followup_too_far", date=due.date().isoformat(), years=FOLLOWUP_HORIZON.days // 366)
    return due
