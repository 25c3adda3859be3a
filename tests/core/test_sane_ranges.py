"""Amounts, payment dates and follow-ups outside sane ranges are refused with one line each."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from handlers.context import Settings
from handlers.core import Core
from storage.models import FollowUp, Payment, Quote
from tests.conftest import FakeClock
from tests.transcript import Transcript


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(table)).one())


def _setup(engine: Engine, clock: FakeClock) -> Transcript:
    from sales.demo import load_demo

    load_demo(engine, customers=5, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    for line in ("@alice: /lang en", "@fay: /lang en", "@alice: /customer add 华东精密机械有限公司 grade A",
                 "@alice: /deal new 华东精密 数控机床采购 300000", "@alice: /quote new 华东精密 数控机床 50 6000",
                 "@alice: /won 华东精密", "@alice: 预算30万；决策人张总；时间 月底"):
        t.say(line)
    return t


def _one_line(out: str) -> str:
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, out
    return lines[0]


def test_payments_outside_sane_ranges_are_refused(engine: Engine, clock: FakeClock) -> None:
    t = _setup(engine, clock)
    before = _count(engine, Payment)
    assert "at least 0.01" in _one_line(t.say("@fay: /paid 华东精密 0.001"))
    assert "hasn't come yet" in _one_line(t.say("@fay: /paid 华东精密 100 9999-12-31"))
    assert "too long ago" in _one_line(t.say("@fay: /paid 华东精密 100 1900-01-01"))
    assert _count(engine, Payment) == before
    assert "Recorded" in t.say("@fay: /paid 华东精密 100.5 2026-11-20")


def test_zero_quotes_and_far_follow_ups_are_refused(engine: Engine, clock: FakeClock) -> None:
    t = _setup(engine, clock)
    quotes, follow_ups = _count(engine, Quote), _count(engine, FollowUp)
    t.say("@alice: /deal new 华东精密 备件 1000")
    assert "more than 0" in _one_line(t.say("@alice: /quote new 华东精密 备件 5 ¥0"))
    assert "more than 0" in _one_line(t.say("@alice: /quote new 华东精密 备件 5 0"))
    assert _count(engine, Quote) == quotes
    out = t.say("@alice: /visit 华东精密 谈了备件，9999-12-31 再跟进")
    assert "too far ahead" in out
    assert _count(engine, FollowUp) == follow_ups
