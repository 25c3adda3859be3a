"""Issue 19, the pipeline part, as transcripts on the demo team (Sunday 2026-11-22 10:00 in Shanghai): the
expected close asked in one tap when a deal opens and when it is qualified; stage rules on every path (a jump
passes the rules of the stages it skips, a manager overrides with a recorded reason, three answers in one
message); the forecast's slipped and undated deals with their fixes, in the report and the manager's digest."""

from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import Engine
from sqlmodel import col, select

from storage.db import session_factory, transaction
from storage.models import AuditLog, Deal
from tests.transcript import Transcript, assert_dialog


def opened(demo: Transcript, who: str, customer: str, title: str, amount: str = "100000") -> int:
    demo.say(f"@{who}: /customer add {customer}")
    out = demo.say(f"@{who}: /deal new {customer} {title} {amount}")
    m = re.search(r"#(\d+)", out)
    assert m, out
    return int(m.group(1))


def deal(engine: Engine, n: int) -> Deal:
    with session_factory(engine)() as s:
        found = s.get(Deal, n)
        assert found is not None
        s.expunge(found)
        return found


def test_opening_a_deal_asks_its_expected_close_in_one_tap(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    out = demo.say("alice", "/deal new 星河仪器有限公司 检测设备 100000")
    assert "When is deal #" in out and "expected to close?" in out
    labels = [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    # Sunday 2026-11-22: the month ends on 11-30, the next on 12-31, which is also the quarter's end (offered once).
    assert labels == ["End of this month 11/30", "End of next month 12/31", "Skip"]
    n = int(re.search(r"#(\d+)", out).group(1))  # type: ignore[union-attr]
    assert "Expected close: — → Thu 2026-12-31" in demo.press("alice", "End of next month")
    assert deal(engine, n).expected_close == date(2026, 12, 31)
    other = opened(demo, "alice", "明光照明有限公司", "路灯")
    assert "[" in demo.say(f"@alice: /deal {other}")  # the terminal numbers the card's buttons
    demo.say("alice", "/deal new 明光照明有限公司 路灯二期 50000")
    assert "Set it later: /deal" in demo.press("alice", "Skip")


def test_qualifying_takes_three_answers_in_one_message_and_keeps_the_timeline_as_a_date(
        engine: Engine, demo: Transcript) -> None:
    n = opened(demo, "alice", "星河仪器有限公司", "检测设备")
    assert_dialog(demo, [
        (f"@alice: /advance {n} qualified", ["What is the budget?", "all in one message"]),
        ("@alice: 预算50万；决策人张总；时间 月底", [f"Deal #{n} → Qualified.", "Expected close: Mon 2026-11-30",
                                          "Change it?"]),
    ])
    d = deal(engine, n)
    assert (d.budget, d.decision_maker, d.timeline) == ("50万", "张总", "2026-11-30")
    assert d.expected_close == date(2026, 11, 30)  # 月底 is a date, not text
    n2 = opened(demo, "alice", "明光照明有限公司", "路灯")
    assert_dialog(demo, [
        (f"@alice: /advance {n2} qualified", "What is the budget?"),
        ("@alice: 30万，王总拍板，下月底", f"Deal #{n2} → Qualified."),
    ])
    d2 = deal(engine, n2)
    assert (d2.budget, d2.decision_maker, d2.timeline, d2.expected_close) == (
        "30万", "王总拍板", "2026-12-31", date(2026, 12, 31))
    n3 = opened(demo, "alice", "远航船舶有限公司", "配件")
    assert_dialog(demo, [  # one answer at a time still works
        (f"@alice: /advance {n3} qualified", "What is the budget?"),
        ("@alice: 20万", "Who is the decision maker?"),
        ("@alice: 李工", "What is the timeline?"),
        ("@alice: 明年再说", [f"Deal #{n3} → Qualified.", f"When is deal #{n3} expected to close?"]),
    ])
    assert deal(engine, n3).timeline == "明年再说"


def test_a_jump_passes_the_rules_of_the_stages_it_skips_and_a_manager_overrides_with_a_reason(
        engine: Engine, demo: Transcript) -> None:
    n = opened(demo, "alice", "星河仪器有限公司", "检测设备")
    assert_dialog(demo, [
        (f"@alice: /advance {n} 谈判", "What is the budget?"),  # from prospect: qualified's rules first
        ("@alice: budget 500k; decision maker Mr Wang; timeline end of month",
         [f"Deal #{n} can't enter Proposal without a quote: /quote new {n}"]),
        (f"@alice: /won {n}", "without a quote"),
        (f"@alice: /advance {n} negotiation because 客户直接要合同", "Only a manager may move a deal past"),
        (f"@bob: /advance {n} negotiation", ["without a quote", f"/advance {n} negotiation because REASON"]),
        (f"@bob: /advance {n} negotiation because 客户直接要合同", [f"Deal #{n} → Negotiation.",
                                                             "your reason recorded: 客户直接要合同"]),
    ])
    assert deal(engine, n).stage == "negotiation"
    with session_factory(engine)() as s:
        a = s.exec(select(AuditLog).where(col(AuditLog.entity) == "deal", col(AuditLog.entity_id) == n,
                                          col(AuditLog.action) == "stage").order_by(col(AuditLog.id).desc())).first()
        assert a is not None
        after = json.loads(a.after or "{}")
    assert after["stage"] == "negotiation" and after["override"] == "客户直接要合同"
    assert after["skipped_rules"] == ["quote"]
    # a loss needs no earlier stage's rules, only its reason
    n2 = opened(demo, "alice", "明光照明有限公司", "路灯")
    assert "→ Lost" in demo.say(f"@alice: /lost {n2} 预算取消")


def test_the_forecast_lists_slipped_and_undated_deals_with_one_tap_fixes(engine: Engine, demo: Transcript) -> None:
    n = opened(demo, "alice", "星河仪器有限公司", "检测设备")
    with transaction(session_factory(engine)) as s:
        # every open deal of the demo gets a date ahead, but this one slipped and one has none
        for d in s.exec(select(Deal).where(col(Deal.stage).not_in(("won", "lost")))).all():
            d.expected_close = date(2026, 12, 20)
            s.add(d)
        d = s.get(Deal, n)
        assert d is not None
        d.expected_close = date(2026, 11, 13)
        s.add(d)
    undated = opened(demo, "alice", "明光照明有限公司", "路灯", "50000")
    out = demo.say("alice", "/report forecast")
    assert "Oct: won" in out and "Oct: won ¥0 ·" not in out and "expected to close" in out
    assert "Slipped: expected close passed, still open (1)" in out and f"#{n} 星河仪器有限公司 · 检测设备" in out
    assert "was Fri 2026-11-13" in out
    assert "No expected close date (1)" in out and f"#{undated} 明光照明有限公司 · 路灯" in out
    labels = [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    assert f"#{n} → end of month" in labels and f"#{undated} → end of next month" in labels
    assert "Expected close: Fri 2026-11-13 → Mon 2026-11-30" in demo.press("alice", f"#{n} → end of month")
    again = demo.say("alice", "/report forecast")
    assert "Slipped" not in again
    # the manager's digest: the team's slipped and undated deals, with the same buttons
    digest = demo.say("bob", "/digest")
    assert "No expected close date (1)" in digest and f"#{undated} 明光照明有限公司 · 路灯 · ¥50,000 (alice)" in digest
    assert "Expected close: — → Thu 2026-12-31" in demo.press("bob", f"#{undated} → end of next month")


def test_the_close_date_question_and_fixes_in_chinese(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /lang zh")
    demo.say("@alice: /customer add 星河仪器有限公司")
    out = demo.say("alice", "/deal new 星河仪器有限公司 检测设备 100000")
    assert "预计什么时候成交" in out
    labels = [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    assert labels == ["本月底 11/30", "下月底 12/31", "跳过"]
