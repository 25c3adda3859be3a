"""Payment plans in words: "30% now, 40% 2027-01-15, rest 2027-03-01", "首付30%，余款3月初", "首付5万，尾款3月底"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from handlers.parsing.calendar import AMBIGUOUS, OK, PAST
from handlers.parsing.money import money_in
from handlers.parsing.text import ascii_re, clip, cn_int, normalize
from handlers.parsing.when import moments

Problem = Literal["unreadable", "no_date", "event", "ambiguous_date", "bad_share"]


@dataclass(frozen=True, slots=True)
class Installment:
    """One part of a plan: a percent of the whole, an amount, or (neither) the rest; due on a day."""

    due: date
    percent: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None  # of the amount, when marked
    on_signing: bool = False  # "now", 首付, on signing: due the day the plan is set


@dataclass(frozen=True, slots=True)
class PlanReading:
    """The installments a plan names, or why it cannot be read and in which part."""

    installments: tuple[Installment, ...] = ()
    problem: Problem | None = None
    part: str = ""


_SPLIT = re.compile(r"[，;；、\n]|,(?!\d{3}(?!\d))|\band\b|\bthen\b|然后|之后再")
_NOW = ascii_re(
    r"\b(?:now|today|immediately|upfront|up\s+front|in\s+advance|on\s+sign(?:ing|ature)|at\s+sign(?:ing|ature)"
    r"|on\s+order|with\s+(?:the\s+)?order|deposit|down\s*payment)\b"
    r"|现在|立即|立刻|马上|今天|签约|签合同|签订|合同签订|首付|预付|定金|订金|下单时|下单"
)
_REST = ascii_re(r"\b(?:rest|remainder|remaining|balance|the\s+rest)\b|余款|剩余|剩下|尾款|其余|余下|余额")
# A due date that hangs on an event whose day nobody knows yet: 验收后30天, 发货前, 30 days after delivery.
_EVENT = ascii_re(
    r"(?:验收|交付|交货|发货|到货|上线|安装|调试|开票|收到发票|收货|完工|竣工|实施)(?:合格|完成|完毕)?\s*(?:后|时|之后|以后|前|之前)"
    r"|\b(?:after|upon|on|at|following|before|prior\s+to)\s+(?:the\s+)?(?:delivery|acceptance|installation|shipment|shipping|"
    r"go-?live|launch|invoice|invoicing|receipt|completion|commissioning)\b"
)
_PERCENT = ascii_re(r"(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|pct\b)|百分之([零一二两三四五六七八九十百]{1,4})|([一二三四五六七八九])成")
_HALF = ascii_re(r"\bhalf\b|一半")
_BARE_NUMBER = ascii_re(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d.])|(?<![\d.])\d+(?:\.\d+)?(?![\d.%])")


def read_plan(text: str, now: datetime) -> PlanReading:
    """The installments of a plan in Chinese or English, each due on a day; a refusal says why and where."""
    parts = [p.strip() for p in _SPLIT.split(clip(text)) if p and p.strip()]
    if not parts:
        return PlanReading(problem="unreadable", part=clip(text).strip())
    found: list[Installment] = []
    for part in parts:
        try:
            read = _part(normalize(part), now)
        except (ValueError, ArithmeticError):
            read = "unreadable"
        if isinstance(read, str):
            return PlanReading(problem=read, part=part)
        found.append(read)
    return PlanReading(installments=tuple(found))


def _part(text: str, now: datetime) -> Installment | Problem:
    if _EVENT.search(text):
        return "event"
    rest_of_text, due, on_signing = text, None, False
    for m in moments(text, now):
        if m.value is None:
            return "ambiguous_date" if m.status == AMBIGUOUS else "unreadable"
        if m.status in (OK, PAST):
            due = m.value.date() if isinstance(m.value, datetime) else m.value
            rest_of_text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
            break
    if _NOW.search(rest_of_text):
        on_signing = True
        due = due or now.date()
    percent, amount, currency = _share(rest_of_text)
    if percent is None and amount is None and not _REST.search(rest_of_text):
        return "unreadable"
    if percent is not None and not 0 < percent <= 100:
        return "bad_share"
    if due is None:
        return "no_date"
    return Installment(due, percent, amount, currency, on_signing)


def _share(text: str) -> tuple[Decimal | None, Decimal | None, str | None]:
    m = _PERCENT.search(text)
    if m:
        if m.group(1):
            return Decimal(m.group(1)), None, None
        count = cn_int(m.group(2)) if m.group(2) else 10 * (cn_int(m.group(3)) or 0)
        return (None if count is None else Decimal(count)), None, None
    if _HALF.search(text):
        return Decimal(50), None, None
    money = money_in(text)
    if money is not None:
        return None, money.amount, money.currency
    bare = _BARE_NUMBER.search(text)
    if bare:
        try:
            value = Decimal(bare.group().replace(",", ""))
        except InvalidOperation:
            return None, None, None
        return (None, value, None) if value > 0 else (None, None, None)
    return None, None, None
