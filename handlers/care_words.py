"""The words of care: touch kinds, how often, and what a follow-up the bot made is about, in the reader's language."""

from __future__ import annotations

import re

from handlers.i18n import N_, tr
from sales.reminders.care import CARE_PREFIX, REORDER, REVISIT, Touch

TOUCH_NAMES = {"contact": N_("regular contact"), "exec": N_("executive touch"), "product": N_("product update"),
               "news": N_("news")}
EVERY = {7: N_("weekly"), 14: N_("fortnightly"), 30: N_("monthly"), 91: N_("quarterly"), 182: N_("half-yearly"),
         365: N_("yearly")}


def every(lang: str, days: int) -> str:
    """weekly, monthly … or every N days."""
    return tr(lang, EVERY[days]) if days in EVERY else tr(lang, "every {n} days", n=days)


def touches(lang: str, plan: tuple[Touch, ...]) -> str:
    """A grade's care plan as a phrase: weekly contact, monthly executive touch (or none)."""
    if not plan:
        return tr(lang, "no care plan")
    return tr(lang, ", ").join(tr(lang, "{every} {touch}", every=every(lang, t.days), touch=tr(lang, TOUCH_NAMES[t.kind]))
                               for t in plan)


def reason_words(lang: str, reason: str, grade: str, what: str = "") -> str | None:
    """What a follow-up the bot made is about (None for one a person wrote)."""
    if reason == "cadence":
        return tr(lang, "regular check-in (grade {g})", g=grade)
    if reason.startswith(CARE_PREFIX) and reason[len(CARE_PREFIX):] in TOUCH_NAMES:
        return tr(lang, "care plan: {t} (grade {g})", t=tr(lang, TOUCH_NAMES[reason[len(CARE_PREFIX):]]), g=grade)
    if reason == REVISIT:
        order = re.search(r"#(\d+)", what)
        return tr(lang, "follow-up visit after the acceptance of order #{o}", o=order.group(1) if order else "?")
    if reason == REORDER:
        return tr(lang, "ask about the next order")
    return None
