"""The funnel is the cohort of deals opened in the period, each counted at every stage it reached: deals whose true
funnel is known by hand, on both databases; it never widens, in figures, text and chart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from handlers.reporting import builders, charts
from sales import analytics as an
from sales.analytics.periods import parse_period
from storage.models import Customer, Deal, StageChange, Team, User

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


# name: the stages it went through (dates in 2026), all opened in November unless the first move says otherwise.
PATHS = {
    "jumped to negotiation and won": [("prospect", at(11, 2)), ("negotiation", at(11, 5)), ("won", at(11, 9))],
    "qualified then lost": [("prospect", at(11, 3)), ("qualified", at(11, 6)), ("lost", at(11, 10))],
    "jumped to proposal": [("prospect", at(11, 4)), ("proposal", at(11, 12))],
    "still a prospect": [("prospect", at(11, 5))],
    "lost as a prospect": [("prospect", at(11, 6)), ("lost", at(11, 7))],
    "reached proposal, moved back": [("prospect", at(11, 7)), ("qualified", at(11, 8)), ("proposal", at(11, 9)),
                                     ("qualified", at(11, 16))],
    # Opened in October: not of November's cohort, whatever it did in November.
    "October's, moved in November": [("prospect", at(10, 10)), ("qualified", at(11, 2)), ("proposal", at(11, 3)),
                                     ("negotiation", at(11, 4))],
}
# By hand: every November deal reached prospect (6); qualified: won, lost-after-qualified, proposal (skipped it),
# moved back (4); proposal: won (skipped it), proposal, moved back (3); negotiation: won (1); won: 1.
TRUE_FUNNEL = [("prospect", 6, 4), ("qualified", 4, 3), ("proposal", 3, 1), ("negotiation", 1, 1), ("won", 1, 0)]


def build(engine: Engine) -> None:
    with Session(engine) as s:
        team = Team(name="华东", created_at=NOW)
        s.add(team)
        s.flush()
        rep = User(name="alice", role="rep", team_id=team.id, lang="en", created_at=NOW)
        s.add(rep)
        s.flush()
        c = Customer(name="客户", name_key="kh", owner_id=rep.id or 0, team_id=team.id, created_at=NOW,
                     updated_at=NOW)
        s.add(c)
        s.flush()
        for title, moves in PATHS.items():
            last = moves[-1][0]
            d = Deal(customer_id=c.id or 0, title=title, amount=Decimal(1000), stage=last, owner_id=rep.id or 0,
                     created_at=moves[0][1], updated_at=moves[-1][1],
                     closed_at=moves[-1][1] if last in ("won", "lost") else None,
                     lost_reason="价格" if last == "lost" else None)
            s.add(d)
            s.flush()
            before = None
            for stage, when in moves:
                s.add(StageChange(deal_id=d.id or 0, from_stage=before, to_stage=stage, by_id=rep.id or 0, at=when))
                before = stage
        s.commit()


def test_the_funnel_of_deals_with_a_known_true_funnel(engine: Engine) -> None:
    build(engine)
    period = parse_period("2026-11", NOW.date())
    assert period is not None
    with Session(engine) as s:
        f = an.funnel(s, an.Scope("all"), *period.bounds(SH))
    assert [(x.stage.key, x.entered, x.moved_on) for x in f.steps] == TRUE_FUNNEL
    assert all(a.entered >= b.entered for a, b in zip(f.steps, f.steps[1:], strict=False))  # never widens
    assert [x.conversion for x in f.steps[:4]] == pytest.approx([4 / 6, 3 / 4, 1 / 3, 1.0])
    assert (f.opened, f.cohort_won, f.cohort_lost) == (6, 1, 2)
    # The period's closings, whenever the deal was opened: one win, two losses.
    assert (f.won, f.lost) == (1, 2)


def test_the_funnel_text_and_chart_never_widen(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    build(engine)
    period = parse_period("2026-11", NOW.date())
    assert period is not None
    drawn: list[list[tuple[str, int]]] = []
    monkeypatch.setattr(charts, "funnel", lambda title, steps, between: drawn.append(list(steps)) or b"")
    with Session(engine) as s:
        answer = builders.funnel_report(s, an.Scope("all"), period, "en", *period.bounds(SH))
    assert answer.draw is not None
    answer.draw()
    assert drawn == [[("Prospect", 6), ("Qualified", 4), ("Proposal", 3), ("Negotiation", 1), ("Won", 1)]]
    for line in ("6 deals opened in the period, each counted at every stage it reached:",
                 "Prospect 6 → 67% moved on", "Qualified 4 → 75% moved on", "Proposal 3 → 33% moved on",
                 "Negotiation 1 → 100% moved on", "Won 1", "Of them: won 1 · lost 2 · still open 3",
                 "Closed in the period, whenever opened: won 1 · lost 2"):
        assert line in answer.text, answer.text
    with Session(engine) as s:
        zh = builders.funnel_report(s, an.Scope("all"), period, "zh", *period.bounds(SH))
    assert "潜在 6 → 67% 进入下一阶段" in zh.text and "已确认 4 → 75% 进入下一阶段" in zh.text
