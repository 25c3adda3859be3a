"""A command's amount and count arguments, read by handlers/parsing and refused as a RuleError when unreadable."""

from __future__ import annotations

from decimal import Decimal

from handlers.context import Ctx
from handlers.parsing import Money
from handlers.parsing.amounts import is_negative, is_zero, read_amount, read_count
from sales.currency import team_currency
from sales.errors import RuleError


def home_currency(ctx: Ctx) -> str:
    """The currency of an unmarked amount said by this person: their team's (CNY by default)."""
    return team_currency(ctx.session, ctx.me.team_id)


def money_arg(text: str) -> Money:
    """The amount the argument is (500000, 12万8, 1.5亿, 1.2M USD, $10,000), or a refusal saying why."""
    found = read_amount(text)
    if found is None:
        if is_negative(text) or is_zero(text):
            raise RuleError("amount_not_positive")
        raise RuleError("bad_number", value=text.strip())
    return found


def count_arg(text: str) -> Decimal:
    """The count the argument is (50, 2.5, 50台, 三台), or a refusal saying why."""
    found = read_count(text)
    if found is None:
        if is_negative(text) or is_zero(text):
            raise RuleError("amount_not_positive")
        raise RuleError("bad_number", value=text.strip())
    return found
