"""Stored button payloads: unguessable, bound to the person they were shown to, expiring."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from storage.models import ActionToken, Lead
from tests.transcript import Transcript


def _leads(t: Transcript, company: str) -> int:
    with Session(t.core.engine) as s:
        return int(s.exec(select(func.count()).select_from(Lead).where(col(Lead.company) == company)).one())


def _create_it(t: Transcript) -> str:
    t.say("bob", "/lead add 华东科技 张伟 13856781234 来源 展会")
    t.say("bob", "/lead add 华东科技有限公司 李四 来源 官网 预算 30万 规模 600人")
    for r in t.last["bob"]:
        for row in r.buttons:
            for b in row:
                if b.action.startswith("tok:"):
                    return b.action
    raise AssertionError(f"no stored payload in {t.last['bob']}")


def test_a_stored_payload_is_unguessable_and_only_for_its_reader(demo: Transcript) -> None:
    action = _create_it(demo)
    assert len(action) >= 4 + 20 and not action[4:].isdigit()
    before = _leads(demo, "华东科技有限公司")
    assert demo.say("dave", action=action) == "That button was shown to someone else: only they can use it."
    assert demo.say("dave", action="tok:1") == "That button no longer works."
    assert _leads(demo, "华东科技有限公司") == before
    demo.say("bob", action=action)
    assert _leads(demo, "华东科技有限公司") == before + 1


def test_a_stored_payload_expires(demo: Transcript, clock) -> None:  # type: ignore[no-untyped-def]
    action = _create_it(demo)
    before = _leads(demo, "华东科技有限公司")
    clock.advance(days=8)
    assert "no longer works" in demo.say("bob", action=action) or "失效" in demo.say("bob", action=action)
    assert _leads(demo, "华东科技有限公司") == before


def test_a_notice_binds_its_buttons_to_its_reader(demo: Transcript) -> None:
    _create_it(demo)
    with Session(demo.core.engine) as s:
        tokens = s.exec(select(ActionToken)).all()
    assert tokens and all(t.user_id is not None and t.expires_at is not None for t in tokens)
