"""The audit log reads as sentences in the reader's language, money and dates formatted, never raw values."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.models import Deal
from tests.transcript import Transcript, assert_dialog


def test_the_audit_log_reads_as_sentences(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add 华东精密 grade A", "Created"),
        ("@alice: /deal new 华东精密 二期扩产 12万8", "¥128,000"),
    ])
    with Session(engine) as s:
        deal_id = s.exec(select(Deal).where(col(Deal.title) == "二期扩产")).one().id
    demo.say(f"@alice: /deal {deal_id} amount $20,000")
    demo.say(f"@alice: /deal {deal_id} close 下月底")
    demo.say(f"@alice: /advance {deal_id} qualified")
    for answer in ("50万", "王总", "年底前"):
        demo.say(f"@alice: {answer}")
    out = demo.say(f"@alice: /audit deal {deal_id}")
    assert "alice created deal #" in out and "amount ¥128,000" in out
    assert "alice changed amount from ¥128,000 to $20,000" in out
    assert "changed stage from Prospect to Qualified" in out
    assert "set expected close to Thu 2026-12-31" in out
    for raw in ("None", "{", "prospect", "lost_reason", "2026-12-31T"):
        assert raw not in out, raw
    demo.say("@alice: /lang zh")
    out = demo.say(f"@alice: /audit deal {deal_id}")
    assert "alice 把阶段从 潜在 改为 已确认" in out or "alice 把阶段从" in out
    assert "alice 创建了商机 #" in out and "把金额从 ¥128,000 改为 $20,000" in out
    for raw in ("None", "{", "changed", "stage", "amount"):
        assert raw not in out, raw
