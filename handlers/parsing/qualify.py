"""The qualification answers (budget, decision maker, timeline) read from one message: labelled parts first
(预算50万；决策人张总；时间 月底 / budget 500k; decision maker Mr Wang; timeline end of month), then unlabelled parts
by what they hold (an amount is the budget, a date the timeline, 拍板/decides the decision maker), then in order."""

from __future__ import annotations

import re
from datetime import datetime

from handlers.parsing import find_amount, find_date

FIELDS = ("budget", "decision_maker", "timeline")
LABELS = {
    "budget": ("预算", "budget"),
    "decision_maker": ("决策人", "决策者", "拍板人", "decision maker", "decision-maker", "decider"),
    "timeline": ("时间线", "时间表", "时间", "采购时间", "timeline", "timing", "time line"),
}
DECIDES = re.compile(r"拍板|说了算|决策|做决定|定夺|decides?|decision|signs? off", re.I)
_SEPARATORS = re.compile(r"[,，;；、\n|]+|(?<=\S)\s*/\s*(?=\S)")
_LABEL = re.compile(r"^\s*(" + "|".join(sorted((re.escape(w) for ws in LABELS.values() for w in ws), key=len,
                                               reverse=True)) + r")\s*(?:是|为|:|：|=)?\s*", re.I)


def _field_of(label: str) -> str:
    word = label.casefold()
    return next(f for f, ws in LABELS.items() if word in (w.casefold() for w in ws))


def read_answers(text: str, asked: str, missing: list[str], now: datetime) -> dict[str, str]:
    """The answers one message gives: {field: text}; a message of one unlabelled part answers the question asked."""
    parts = [p.strip(" 。.") for p in _SEPARATORS.split(text) if p.strip(" 。.")]
    out: dict[str, str] = {}
    loose: list[str] = []
    for part in parts:
        m = _LABEL.match(part)
        if m is not None and part[m.end():].strip():
            out.setdefault(_field_of(m.group(1)), part[m.end():].strip())
        else:
            loose.append(part)
    if not out and len(loose) <= 1:
        return {asked: " ".join(text.split())} if text.strip() else {}
    rest = []
    for part in loose:
        guess = ("decision_maker" if DECIDES.search(part) else "budget" if find_amount(part) is not None
                 else "timeline" if find_date(part, now) is not None else None)
        if guess is not None and guess not in out:
            out[guess] = part
        else:
            rest.append(part)
    for part in rest:
        field = next((f for f in [asked, *missing, *FIELDS] if f not in out), None)
        if field is None:
            break
        out[field] = part
    return out
