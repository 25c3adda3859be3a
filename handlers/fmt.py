"""How numbers, money and times are shown to a person in their language and zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from storage.models import Stage
from storage.types import cents

_WEEK_ZH = "一二三四五六日"
_WEEK_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}


def money(amount: Decimal | None, currency: str | None = "CNY") -> str:
    """¥1,234, $10,000, €1,234.50, JPY 5,000: the amount in its own currency, never another's sign."""
    if amount is None:
        return "—"
    code = (currency or "CNY").upper()
    sign = SYMBOLS.get(code, f"{code} ")
    value = cents(amount)  # half-up to the cent: 1.5 × ¥99.99 is ¥149.99
    if value == value.to_integral_value():
        return f"{sign}{int(value):,}"
    return f"{sign}{value:,.2f}"


def monies(totals: dict[str, Decimal]) -> str:
    """Totals per currency, the largest first: "¥1,200,000 + $10,000" ("—" for none)."""
    parts = [money(v, k) for k, v in sorted(totals.items(), key=lambda kv: (kv[0] != "CNY", kv[0])) if v]
    return " + ".join(parts) if parts else money(Decimal(0))


def pct(value: Decimal | int) -> str:
    """15% (no trailing zeros)."""
    d = Decimal(value).normalize()
    return f"{d:f}%"


def day(d: date, lang: str) -> str:
    """A date with its weekday: 2026-11-25（周三） / Wed 2026-11-25."""
    if lang.startswith("zh"):
        return f"{d.isoformat()}（周{_WEEK_ZH[d.weekday()]}）"
    return f"{_WEEK_EN[d.weekday()]} {d.isoformat()}"


def moment(at: datetime, tz: ZoneInfo, lang: str, with_time: bool = True) -> str:
    """A UTC instant shown in the reader's zone, with weekday."""
    local = at.astimezone(tz)
    text = day(local.date(), lang)
    return f"{text} {local:%H:%M}" if with_time else text


def when(value: date | datetime, lang: str) -> str:
    """A parsed follow-up time (already local) shown with weekday."""
    if isinstance(value, datetime):
        return f"{day(value.date(), lang)} {value:%H:%M}"
    return day(value, lang)


def stage_path(stages: dict[str, Stage], keys: list[str], lang: str) -> str:
    """A deal's stage history, each stage in `lang`: 潜在 → 已确认 → 赢单."""
    return " → ".join(stage_name(stages.get(k), lang, k) for k in keys)


def stage_name(stage: Stage | None, lang: str, key: str | None = None) -> str:
    """A pipeline stage's name as the team configured it, in `lang` (its key when the stage is gone)."""
    if stage is None:
        return key or "—"
    return stage.name_zh if lang.startswith("zh") else stage.name_en
