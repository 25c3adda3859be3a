"""/pipeline, /report and /target in the terminal chat, on the fixed book (tests/sales/test_analytics_book.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.commands import reports
from handlers.core import Core
from handlers.reporting import charts
from sales.analytics.periods import parse_period
from storage.models import Target
from tests.conftest import FakeClock
from tests.sales.test_analytics_book import NOW, Book, build_book
from tests.transcript import Transcript, assert_dialog


@pytest.fixture
def images(tmp_path: Path) -> Path:
    return tmp_path / "charts"


def images_in(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def chat(engine: Engine, images: Path) -> Transcript:
    build_book(engine)
    t = Transcript(Core(engine, clock=FakeClock(NOW)))
    t.chat.image_dir = images
    return t


def test_reports_for_the_manager(chat: Transcript, images: Path) -> None:
    assert_dialog(chat, [
        # the cohort of November (D2, D3, D8): each deal at every stage it reached, so it never widens
        ("@bob: /report funnel", ["Funnel · Nov 2026 (华东销售部)", "3 deals opened in the period",
                                  "Prospect 3 → 33% moved on", "Qualified 1 → 0% moved on",
                                  "Proposal 0 → — moved on", "Negotiation 0 → — moved on", "Won 0\n",
                                  "Of them: won 0 · lost 1 · still open 2",
                                  "Closed in the period, whenever opened: won 2 · lost 1 · win rate 67% · average "
                                  "cycle 32.5 days · won ¥140,000", "funnel-2026-11.png"]),
        ("@bob: /report sources 2026-11", ["Trade show: won 2/3 (67%) · ¥140,000 · new deals 1",
                                           "no source: won 0/0 (—) · ¥0 · new deals 1",
                                           "Website: won 0/0 (—) · ¥0 · new deals 1", "sources-2026-11.png"]),
        ("@bob: /report reps this month",
         ["1. alice: ¥100,000 · won 1 · win rate 100% · new deals 1 · activities 3",
          "2. dave: ¥40,000 · won 1 · win rate 50% · new deals 2 · activities 2",
          "3. bob: ¥0 · won 0 · win rate — · new deals 0 · activities 0", "leaderboard-2026-11.png"]),
        ("@bob: /report stages 2026-11", ["Qualified: median 18.8 days · p90 28.3 days (2 stays)",
                                          "Proposal: median 14 days · p90 19.1 days (3 stays)",
                                          "Negotiation: median 5 days · p90 5 days (1 stays)", "stages-2026-11.png"]),
        ("@bob: /report forecast", ["Forecast · Q4 2026 (华东销售部)", "Oct: won ¥60,000\n",
                                    "Nov: won ¥140,000 · 1 expected to close, ¥200,000, weighted ¥160,000",
                                    "Dec: won ¥0 · 1 expected to close, ¥50,000, weighted ¥15,000",
                                    "Total: won ¥200,000 + weighted ¥175,000 = ¥375,000",
                                    "Target ¥500,000: 75% expected, ¥125,000 to go",
                                    "No expected close date (1)", "• #8 客户C4 · D8 · ¥10,000 (dave)",
                                    "forecast-2026-Q4.png"]),
        ("@bob: /report targets", ["华东销售部 (team): ¥200,000 of ¥500,000 (40%), ¥300,000 to go",
                                   "alice: ¥160,000 of ¥300,000 (53%), ¥140,000 to go",
                                   "dave: ¥40,000 of ¥100,000 (40%), ¥60,000 to go", "targets-2026-Q4.png"]),
        ("@bob: /pipeline", ["Prospect (10%): 1 · ¥10,000", "Qualified (30%): 2 · ¥80,000", "Proposal (60%): 0 · ¥0",
                             "Negotiation (80%): 1 · ¥200,000", "Total ¥290,000, weighted forecast ¥185,000",
                             "pipeline-20261122.png"]),
        ("@bob: /pipeline mine", "No open deals."),
    ])
    names = sorted(p.name for p in images_in(images))
    assert names == ["forecast-2026-Q4.png", "funnel-2026-11.png", "leaderboard-2026-11.png",
                     "pipeline-20261122.png", "sources-2026-11.png", "stages-2026-11.png", "targets-2026-Q4.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in images_in(images))


def test_a_rep_sees_only_their_own_numbers(chat: Transcript) -> None:
    out = assert_dialog(chat, [
        ("@alice: /report reps dave 2026-11", ["You may only see your own scope", "(alice)",
                                               "1. alice: ¥100,000 · won 1"]),
        ("@alice: /report targets team 2026-Q4", "alice: ¥160,000 of ¥300,000 (53%)"),
        ("@alice: /pipeline team", "Qualified (30%): 2 · ¥80,000"),
        ("@bob: /report reps erin 2026-11", ["You may only see your own scope", "(华东销售部)"]),
        ("@carol: /report reps erin 2026-11", "1. erin: ¥70,000 · won 1 · win rate 100% · new deals 1 · activities 1"),
    ])
    assert "dave" not in out[0] and "华东销售部" not in out[1] and "Negotiation (80%): 1" not in out[2]


def test_empty_and_unreadable_periods(chat: Transcript, images: Path) -> None:
    out = assert_dialog(chat, [
        ("@bob: /report funnel 2020-01", "No deal was opened, won or lost in this period."),
        ("@bob: /report reps 2020-01", "No activities, new deals or closed deals in this period."),
        ("@bob: /report stages 2020-01", "No deal left a stage in this period."),
        ("@bob: /report forecast 2020", "Nothing was won and no open deal is expected to close"),
        ("@bob: /report targets 2026-11", "No targets are set for this period. A manager sets one: /target USER"),
        ("@bob: /report sources 2020-01", "No deal was opened, won or lost in this period."),
        ("@bob: /report funnel next decade", ["I can't read the period “next decade”", "this month, last month",
                                              "2026-Q4, 2026-11"]),
        ("@bob: /report", "Usage: /report funnel|sources|reps|stages|forecast|targets"),
    ])
    assert not any("🖼" in o for o in out)
    assert list(images_in(images)) == []


def test_chinese_report_and_chart(chat: Transcript, images: Path) -> None:
    assert_dialog(chat, [
        ("@alice: /lang zh", "中文"),
        ("@alice: /report funnel 本月", ["销售漏斗 · 2026年11月（alice）", "潜在 1 → 100% 进入下一阶段",
                                        "已确认 1 → 0% 进入下一阶段", "赢单 1 · 输单 0 · 赢率 100% · 平均成交周期 31 天",
                                        "funnel-2026-11.png"]),
        ("@alice: /report 排行 上月", "销售排行 · 2026年10月"),
        ("@alice: /report funnel 明年", ["看不懂时间段“明年”", "本月、上月、本季度"]),
    ])
    assert (images / "funnel-2026-11.png").stat().st_size > 10_000


def test_setting_targets(chat: Transcript, engine: Engine) -> None:
    assert_dialog(chat, [
        ("@bob: /target alice 35万 2026-Q4", ["Set alice's target for Q4 2026: ¥350,000.",
                                              "alice: ¥160,000 of ¥350,000 (46%), ¥190,000 to go"]),
        ("@bob: /target team 0.6m", ["Set the team's target for Q4 2026: ¥600,000.",
                                     "华东销售部 (team): ¥200,000 of ¥600,000 (33%)"]),
        ("@bob: /target dave 20万 2026-12", "dave: ¥0 of ¥200,000 (0%), ¥200,000 to go"),
        ("@bob: /target erin 10000", "You may set targets only for your own team."),
        ("@bob: /target alice lots", "“lots” is not an amount"),
        ("@bob: /target alice 100 someday", "I can't read the period “someday”"),
        ("@bob: /target nobody 100", "No user “nobody” found."),
        ("@alice: /target dave 100", "Your role can't use /target."),
        ("@carol: /target erin 8万 2026-Q4", "erin: ¥70,000 of ¥80,000 (88%), ¥10,000 to go"),
    ])
    with Session(engine) as s:
        rows = {(t.user_id, t.team_id, t.period): t.amount for t in s.exec(select(Target)).all()}
        assert len(rows) == 5  # alice, the team and erin replaced; dave 2026-12 new
        assert Decimal("350000.00") in rows.values() and Decimal("600000.00") in rows.values()
        assert len(s.exec(select(Target).where(col(Target.period) == "2026-12")).all()) == 1


def test_without_a_cjk_font_the_text_says_why_there_is_no_chart(chat: Transcript, images: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def no_font() -> str:
        raise charts.NoCJKFont()

    monkeypatch.setattr(charts, "cjk_font", no_font)
    out = chat.say("@bob: /report funnel")
    assert "Prospect 3" in out and "No chart: no font for Chinese could be loaded; set SALESBOT_CJK_FONT" in out
    assert "🖼" not in out and list(images_in(images)) == []


def test_monday_charts_for_the_digest(engine: Engine) -> None:
    book: Book = build_book(engine)
    monday = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: last week is 11-16 … 11-22
    with Session(engine) as s:
        got = reports.monday_charts(s, book.teams["east"], "zh", now=monday)
        assert [(a.name, a.mime) for a in got] == [("funnel-2026-W47.png", "image/png"),
                                                   ("leaderboard-2026-W47.png", "image/png")]
        assert all(a.data[:4] == b"\x89PNG" for a in got)
        assert reports.monday_charts(s, book.teams["east"], "en", now=datetime(2027, 3, 1, 1, tzinfo=UTC)) == []
        week = parse_period("2026-W47", monday.date())
        assert week is not None and week.start.isoformat() == "2026-11-16"


def test_a_target_passed_says_how_far_over(chat: Transcript) -> None:
    assert_dialog(chat, [
        ("@bob: /target alice 10万 2026-Q4", "alice: ¥160,000 of ¥100,000 (160%), ¥60,000 over"),
        ("@bob: /target alice 16万 2026-Q4", "alice: ¥160,000 of ¥160,000 (100%), target reached"),
        ("@bob: /target team 5万 2026-Q4", "¥150,000 over"),
        ("@bob: /lang zh", "中文"),
        ("@bob: /report targets", ["alice：¥160,000 / ¥160,000（100%），已达成", "超出 ¥150,000"]),
    ])
    assert "还差 ¥0" not in chat.say("@bob: /report forecast")
