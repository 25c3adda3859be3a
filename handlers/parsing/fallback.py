"""dateparser, asked only about English month-name dates our own rules did not read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from handlers.parsing.calendar import aware
from handlers.parsing.dates_en import MONTH
from handlers.parsing.text import ascii_re

_LANGUAGES = ["en", "zh"]
_OPTIONS: dict[str, Any] = {
    "PREFER_DATES_FROM": "future",
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "MDY",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
_GATE = ascii_re(r"\b" + MONTH + r"\b")
_HAS_TIME = ascii_re(r"\d\s*:\s*\d\d|\d\s*[ap]\.?m\b|\bnoon\b")
_WINDOW = 80
_base_settings: Any = None


def _settings(relative_base: datetime) -> Any:
    global _base_settings
    if _base_settings is None:
        from dateparser.conf import settings  # imported on first use: it costs a tenth of a second

        _base_settings = settings.replace(mod_settings=_OPTIONS, **_OPTIONS)
    return _base_settings.replace(RELATIVE_BASE=relative_base)


def dateparser_when(text: str, now: datetime) -> date | datetime | None:
    """A date dateparser finds around an English month name, never before today; None otherwise."""
    gate = _GATE.search(text)
    if gate is None or not any(c.isdigit() for c in text):
        return None
    window = text[max(0, gate.start() - _WINDOW) : gate.end() + _WINDOW]
    from dateparser.search import search_dates

    try:
        found = search_dates(window, languages=_LANGUAGES, settings=_settings(now.replace(tzinfo=None)))
    except Exception:  # a third-party parser must not break reading a chat message
        return None
    for phrase, moment in found or []:
        if not (_GATE.search(phrase) and any(c.isdigit() for c in phrase)) or moment.date() < now.date():
            continue
        if _HAS_TIME.search(phrase):
            return aware(moment.replace(second=0, microsecond=0), now.tzinfo)
        return moment.date()
    return None
