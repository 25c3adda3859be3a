"""Every figure of every report on the fixed book (tests/sales/test_analytics_book.py), against a hand computation.

November 2026 in Shanghai is [10-31 16:00Z, 11-30 16:00Z); the book's docstring lists every row.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from sales import analytics as an
from sales.analytics.periods import parse_period
from sales.analytics.stages import _stays_by_lead, _stays_by_previous, stage_times
from sales.analytics.targets import target_total, targets
from sales.demo import load_demo
from tests.sales.test_analytics_book import NOW, Book, build_book, user

TZ = ZoneInfo("Asia/Shanghai")
NOV = parse_period("2026-11", NOW.date())
Q4 = parse_period("2026-Q4", NOW.date())
assert NOV is not None and Q4 is not None
NOV_START, NOV_END = NOV.bounds(TZ)
Q4_START, Q4_END = Q4.bounds(TZ)


@pytest.fixture
def book(engine: Engine) -> Book:
    return build_book(engine)


def scope_of(engine: Engine, name: str, **kw: object) -> an.Scope:
    return an.scope_for(user(engine, name), **kw)  # type: ignore[arg-type]


def scopes(engine: Engine) -> dict[str, an.Scope]:
    """Each person's default scope (read before a test opens its session: SQLite sessions take the write lock)."""
    out = {n: scope_of(engine, n) for n in ("alice", "bob", "carol", "dave")}
    out["bob:mine"] = scope_of(engine, "bob", mine=True)
    return out


def funnel_of(engine: Engine, name: str) -> an.Funnel:
    scope = scope_of(engine, name)
    with Session(engine) as s:
        return an.funnel(s, scope, NOV_START, NOV_END)


def test_period_bounds_are_local_days_in_utc() -> None:
    assert NOV_START.isoformat() == "2026-10-31T16:00:00+00:00"
    assert NOV_END.isoformat() == "2026-11-30T16:00:00+00:00"


def test_funnel_for_the_manager(engine: Engine, book: Book) -> None:
    f = funnel_of(engine, "bob")
    got = [(s.stage.key, s.entered, s.moved_on) for s in f.steps]
    # The cohort: deals opened in November local, D2, D3, D8 (D5 at 10-31 15:00Z is October; erin's D6 is another
    # team's). Each counts at every stage it reached: D2 prospect and qualified, D3 prospect (lost from there), D8
    # prospect. Moves of older deals in November (D1, D4, D7) are not this cohort's.
    assert got == [("prospect", 3, 1), ("qualified", 1, 0), ("proposal", 0, 0), ("negotiation", 0, 0), ("won", 0, 0)]
    assert [s.conversion for s in f.steps[:4]] == [pytest.approx(1 / 3), 0.0, None, None]
    assert (f.opened, f.cohort_won, f.cohort_lost) == (3, 0, 1)
    # closed in November: D1 won, D7 won, D3 lost.
    assert (f.won, f.lost, f.revenue) == (2, 1, Decimal("140000.00"))
    assert f.win_rate == pytest.approx(2 / 3)
    # cycles: D1 10-20 → 11-20 = 31 days, D7 10-05 → 11-08 = 34 days.
    assert f.avg_cycle_days == pytest.approx(32.5, abs=1e-4)


def test_funnel_for_the_admin_counts_both_teams(engine: Engine, book: Book) -> None:
    f = funnel_of(engine, "carol")
    got = [(s.stage.key, s.entered, s.moved_on) for s in f.steps]
    # + erin's D6: prospect 11-03 → won 11-10 (7 days), skipping three stages, which it counts in.
    assert got == [("prospect", 4, 2), ("qualified", 2, 1), ("proposal", 1, 1), ("negotiation", 1, 1), ("won", 1, 0)]
    assert (f.won, f.lost, f.revenue) == (3, 1, Decimal("210000.00"))
    assert f.win_rate == pytest.approx(0.75)
    assert f.avg_cycle_days == pytest.approx((31 + 34 + 7) / 3, abs=1e-4)


def test_funnel_for_a_rep_is_their_own(engine: Engine, book: Book) -> None:
    f = funnel_of(engine, "alice")
    got = [(s.stage.key, s.entered, s.moved_on) for s in f.steps]
    assert got == [("prospect", 1, 1), ("qualified", 1, 0), ("proposal", 0, 0), ("negotiation", 0, 0), ("won", 0, 0)]
    assert (f.won, f.lost, f.revenue, f.win_rate) == (1, 0, Decimal("100000.00"), 1.0)
    assert f.avg_cycle_days == pytest.approx(31, abs=1e-4)


def test_an_empty_period_is_empty(engine: Engine, book: Book) -> None:
    p = parse_period("2020-01", NOW.date())
    assert p is not None
    sc = scopes(engine)
    with Session(engine) as s:
        f = an.funnel(s, sc["carol"], *p.bounds(TZ))
        assert f.empty and f.win_rate is None and f.avg_cycle_days is None
        assert an.sources(s, sc["carol"], *p.bounds(TZ)) == []
        assert stage_times(s, sc["carol"], *p.bounds(TZ)) == []


def test_sources(engine: Engine, book: Book) -> None:
    sc = scopes(engine)
    with Session(engine) as s:
        bob = an.sources(s, sc["bob"], NOV_START, NOV_END)
        carol = an.sources(s, sc["carol"], NOV_START, NOV_END)
    rows = [(g.key, g.new_deals, g.won, g.lost, g.revenue) for g in bob]
    # 展会: D3 opened and lost, D1 and D7 won (100,000 + 40,000).  no source: D8 opened.  官网: D2 opened.
    # D4 (opened in September, still open) and D5 (opened 10-31 local) are in no row.
    assert rows == [("trade show", 1, 2, 1, Decimal("140000.00")), ("", 1, 0, 0, Decimal("0.00")),
                    ("website", 1, 0, 0, Decimal("0.00"))]  # one row per listed source, whatever the language
    assert bob[0].win_rate == pytest.approx(2 / 3)
    assert bob[1].win_rate is None
    assert [(g.key, g.new_deals, g.won, g.lost, g.revenue) for g in carol] == [
        ("trade show", 1, 2, 1, Decimal("140000.00")), ("referral", 1, 1, 0, Decimal("70000.00")),
        ("", 1, 0, 0, Decimal("0.00")), ("website", 1, 0, 0, Decimal("0.00"))]


def test_leaderboard(engine: Engine, book: Book) -> None:
    sc = scopes(engine)
    with Session(engine) as s:
        bob = an.leaderboard(s, sc["bob"], NOV_START, NOV_END)
        carol = an.leaderboard(s, sc["carol"], NOV_START, NOV_END)
        alice = an.leaderboard(s, sc["alice"], NOV_START, NOV_END)
    # alice: activities 10-31 16:00Z, 11-10, 11-20 (not 10-31 15:59Z); opened D2; won D1.
    # dave: activities 11-05, 11-12; opened D3, D8; won D7, lost D3.  bob: nothing (his activity is December).
    rows = [(r.name, r.figures.activities, r.figures.new_deals, r.figures.won, r.figures.lost, r.figures.revenue)
            for r in bob]
    assert rows == [("alice", 3, 1, 1, 0, Decimal("100000.00")), ("dave", 2, 2, 1, 1, Decimal("40000.00")),
                    ("bob", 0, 0, 0, 0, Decimal("0.00"))]
    assert [r.figures.win_rate for r in bob] == [1.0, 0.5, None]
    assert [(r.name, r.figures.revenue) for r in carol] == [
        ("alice", Decimal("100000.00")), ("erin", Decimal("70000.00")), ("dave", Decimal("40000.00")),
        ("bob", Decimal("0.00"))]
    assert carol[1].figures.activities == 1 and carol[1].figures.new_deals == 1
    assert [r.name for r in alice] == ["alice"]


def test_stage_durations(engine: Engine, book: Book) -> None:
    sc = scopes(engine)
    with Session(engine) as s:
        rows = stage_times(s, sc["bob"], NOV_START, NOV_END)
    got = {r.stage.key: (r.stays, r.median, r.p90) for r in rows}
    # Stays that ended in November, in days:
    #   prospect: D1 14, D2 4, D3 7 (ended by the loss), D5 17.5 (10-31 15:00 → 11-18 03:00) → [4, 7, 14, 17.5]
    #   qualified: D1 7, D4 30.625 (10-01 02:00 → 10-31 17:00); D7's ended in October
    #   proposal: D1 5, D4 20.375 (10-31 17:00 → 11-21 02:00), D7 14 (10-25 → 11-08 won)
    #   negotiation: D1 5.   percentile_cont(p) interpolates at p·(n−1).
    assert list(got) == ["prospect", "qualified", "proposal", "negotiation"]
    expected = {"prospect": (4, 10.5, 14 + 0.7 * 3.5), "qualified": (2, 18.8125, 7 + 0.9 * 23.625),
                "proposal": (3, 14.0, 14 + 0.8 * 6.375), "negotiation": (1, 5.0, 5.0)}
    for key, (n, med, p90) in expected.items():
        assert got[key][0] == n
        assert got[key][1:] == pytest.approx((med, p90), abs=1e-4), key


def test_open_pipeline(engine: Engine, book: Book) -> None:
    sc = scopes(engine)
    with Session(engine) as s:
        team = an.open_pipeline(s, sc["bob"])
        mine = an.open_pipeline(s, sc["bob:mine"])
        alice = an.open_pipeline(s, sc["alice"])
    # open: D8 prospect 10,000; D2 50,000 and D5 30,000 qualified; D4 negotiation 200,000.
    assert [(x.stage.key, x.deals, x.amount, x.weighted) for x in team] == [
        ("prospect", 1, Decimal("10000.00"), Decimal("1000.00")),
        ("qualified", 2, Decimal("80000.00"), Decimal("24000.00")),
        ("proposal", 0, Decimal("0.00"), Decimal("0.00")),
        ("negotiation", 1, Decimal("200000.00"), Decimal("160000.00"))]
    assert sum(x.deals for x in mine) == 0
    assert [(x.stage.key, x.deals, x.amount) for x in alice if x.deals] == [("qualified", 2, Decimal("80000.00"))]


def test_forecast_by_month_with_the_target(engine: Engine, book: Book) -> None:
    assert Q4 is not None
    sc = scopes(engine)
    with Session(engine) as s:
        scope = sc["bob"]
        f = an.forecast(s, scope, Q4, TZ, target_total(s, scope, Q4.key))
    # October: D9 won 60,000.  November: D1 + D7 won 140,000; D4 expected 11-28, 200,000 × 80%.
    # December: D2 expected 12-15, 50,000 × 30%.  D5 (January) is outside; D8 has no date.
    assert [(m.start.month, m.won, m.open_deals, m.amount, m.weighted) for m in f.months] == [
        (10, Decimal("60000.00"), 0, Decimal("0.00"), Decimal("0.00")),
        (11, Decimal("140000.00"), 1, Decimal("200000.00"), Decimal("160000.00")),
        (12, Decimal("0.00"), 1, Decimal("50000.00"), Decimal("15000.00"))]
    assert (f.won, f.weighted, f.target, f.undated) == (Decimal("200000.00"), Decimal("175000.00"),
                                                        Decimal("500000.00"), 1)


def test_target_totals_per_scope(engine: Engine, book: Book) -> None:
    sc = scopes(engine)
    with Session(engine) as s:
        assert target_total(s, sc["alice"], "2026-Q4") == Decimal("300000.00")
        assert target_total(s, sc["bob"], "2026-Q4") == Decimal("500000.00")  # the team's own
        assert target_total(s, sc["carol"], "2026-Q4") == Decimal("500000.00")  # team targets only
        assert target_total(s, sc["bob"], "2026-11") is None


def test_targets_against_actuals(engine: Engine, book: Book) -> None:
    sc = scopes(engine)
    with Session(engine) as s:
        bob = targets(s, sc["bob"], "2026-Q4", Q4_START, Q4_END)
        carol = targets(s, sc["carol"], "2026-Q4", Q4_START, Q4_END)
        alice = targets(s, sc["alice"], "2026-Q4", Q4_START, Q4_END)
    # won in Q4: alice D9 60,000 + D1 100,000; dave D7 40,000; the team 200,000; erin D6 70,000.
    rows = [(r.name, r.team, r.target, r.actual, r.gap) for r in bob]
    assert rows == [("华东销售部", True, Decimal("500000.00"), Decimal("200000.00"), Decimal("300000.00")),
                    ("alice", False, Decimal("300000.00"), Decimal("160000.00"), Decimal("140000.00")),
                    ("dave", False, Decimal("100000.00"), Decimal("40000.00"), Decimal("60000.00"))]
    assert [r.share for r in bob] == pytest.approx([0.4, 160 / 300, 0.4])
    assert [(r.name, r.actual, r.gap) for r in carol] == [
        ("华东销售部", Decimal("200000.00"), Decimal("300000.00")), ("erin", Decimal("70000.00"), Decimal("0.00")),
        ("alice", Decimal("160000.00"), Decimal("140000.00")), ("dave", Decimal("40000.00"), Decimal("60000.00"))]
    assert [r.name for r in alice] == ["alice"]


def test_a_rep_cannot_widen_their_scope(engine: Engine, book: Book) -> None:
    alice, dave, erin, bob = (user(engine, n) for n in ("alice", "dave", "erin", "bob"))
    assert (an.scope_for(alice, rep=dave).kind, an.scope_for(alice, rep=dave).user_id) == ("user", alice.id)
    assert an.scope_for(bob, rep=erin).kind == "team"  # another team's rep: the manager's own team instead
    assert an.scope_for(bob, rep=dave).user_id == dave.id


def test_both_stay_pairings_agree_on_the_demo_book(engine: Engine) -> None:
    # PostgreSQL pairs moves with LEAD, SQLite with an index lookup of the previous move: same stays.
    load_demo(engine, customers=400, now=NOW)
    year = parse_period("2026", NOW.date())
    assert year is not None
    scope = an.scope_for(user(engine, "bob"))
    with Session(engine) as s:
        found = []
        for stays in (_stays_by_lead(s, scope, *year.bounds(TZ)), _stays_by_previous(s, scope, *year.bounds(TZ))):
            rows = s.execute(select(stays.c.stage, func.count(), func.sum(stays.c.days)).group_by(stays.c.stage)).all()
            found.append({k: (n, round(float(d), 3)) for k, n, d in rows})
    assert found[0] == found[1] and sum(n for n, _ in found[0].values()) > 50
