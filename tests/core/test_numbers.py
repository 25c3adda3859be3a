"""Customers, deals, orders and quotes are found by their number with or without #, in every command that takes
one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.transcript import Transcript


@pytest.fixture
def team(engine: Engine, clock: FakeClock) -> Transcript:
    """The demo team reading English, without the rate limit."""
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0)))
    for who in ("alice", "bob", "carol", "dave", "fay"):
        t.say(who, "/lang en")
    return t


@pytest.mark.parametrize("hash_", ["#", ""])
def test_every_command_finds_a_record_by_number(team: Transcript, hash_: str) -> None:
    t = team
    cid = re.findall(r"#(\d+)", t.say("alice", "/customer add Numbered Works"))[0]
    c = f"{hash_}{cid}"
    assert "Numbered Works #" in t.say("alice", f"/customer {c}")
    assert "grade A" in t.say("alice", f"/grade {c} A")
    assert "#vip" in t.say("alice", f"/tag {c} #vip")
    assert "Added Li Wei" in t.say("alice", f"/contact add {c} Li Wei 13812345678")
    assert "Logged" in t.say("alice", f"/visit {c} met the buyer")
    assert "Logged" in t.say("alice", f"/call {c} talked prices")
    assert "Logged" in t.say("alice", f"/note {c} likes red")
    assert "what do you want to change" in t.say("alice", f"/customer edit {c}")
    assert "Which contact" in t.say("alice", f"/contact edit {c}") or "Li Wei" in t.say("alice", f"/contact edit {c}")
    assert "dave" in t.say("alice", f"/share {c} dave")
    assert "dave" in t.say("alice", f"/unshare {c} dave")
    assert "Numbered Works" in t.say("carol", f"/audit {c}")
    did = re.findall(r"deal #(\d+)", t.say("alice", f"/deal new {c} Lathes 100000"))[0]
    d = f"{hash_}{did}"
    assert "Lathes" in t.say("alice", f"/deal {d}")
    assert "→" in t.say("alice", f"/deal {d} amount 120000")
    assert "what do you want to change" in t.say("alice", f"/deal edit {d}")
    assert "Move to" in t.say("alice", f"/advance {d}")
    assert "What is the budget?" in t.say("alice", f"/advance {d} qualified")
    t.say("alice", "cancel")
    qid = re.findall(r"Quote #(\d+)", t.say("alice", f"/quote new {d} lathe 2 50000"))[0]
    assert f"Quote #{qid}" in t.say("alice", f"/quote {hash_}{qid}")
    assert "Lathes" in t.say("carol", f"/audit deal {d}")
    oid = re.findall(r"Order #(\d+)", t.say("bob", f"/advance {d} won because 直接签约"))[0]
    o = f"{hash_}{oid}"
    assert "Payment plan of order" in t.say("alice", f"/plan {o} 30% now, rest 2027-01-15")
    assert "Recorded" in t.say("fay", f"/paid {o} 1000")
    lid = re.findall(r"Lead #(\d+)", t.say("alice", "/lead add NumberedLeads Tom"))[0]
    assert "NumberedLeads" in t.say("alice", f"/lead {hash_}{lid}")
    did2 = re.findall(r"deal #(\d+)", t.say("alice", f"/deal new {c} Spare parts 5000"))[0]
    assert "lost" in t.say("alice", f"/lost {hash_}{did2} too expensive").lower()
