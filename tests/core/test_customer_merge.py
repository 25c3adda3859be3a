"""`/customer merge KEEP GONE`: two records of one company become one, after a confirmation, with an audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from storage.db import session_factory
from storage.models import Activity, AuditLog, Contact, Customer, CustomerShare, Deal, FollowUp
from tests.transcript import Transcript, assert_dialog


@pytest.fixture
def team(demo: Transcript) -> Transcript:
    """The demo team, in English."""
    return demo


def _ids(engine: Engine, *names: str) -> list[int]:
    with session_factory(engine)() as s:
        found = {c.name: c.id for c in s.exec(select(Customer).where(col(Customer.name).in_(names)))}
    return [found[n] or 0 for n in names]


def test_a_duplicate_is_merged_after_a_confirmation_and_everything_moves(engine: Engine, team: Transcript) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 华东科技有限公司 grade A #key", "Created customer"),
        ("@alice: /contact add 华东科技有限公司 张伟 13800138000", "张伟"),
        ("@alice: /customer add 华东科技(上海) --force", "Created customer"),
        ("@alice: /contact add 华东科技(上海) 张伟 13800138000 采购经理", "Add anyway?"),
        ("@alice: 1", "Added 张伟"),  # the same person under the duplicate record, as spreadsheets have them
        ("@alice: /contact add 华东科技(上海) 李娜 13900139000", "李娜"),
        ("@alice: /visit 华东科技(上海) 上门拜访，下周三再跟进", "Logged visit"),
        ("@alice: /deal new 华东科技(上海) 产线改造 30万", "Opened deal"),
    ])
    keep, gone = _ids(engine, "华东科技有限公司", "华东科技(上海)")
    asked = team.say(f"@alice: /customer merge 华东科技有限公司 #{gone}")
    for fragment in ("Merge *华东科技(上海)*".replace("*", ""), "2 contacts", "1 deal,", "1 activity",
                     "cannot be undone", "[7] Merge"):  # /deal new printed three close-date buttons
        assert fragment in asked, asked
    with session_factory(engine)() as s:
        assert s.get(Customer, gone) is not None  # asking changes nothing
    assert_dialog(team, [("@alice: 7", ["Merged", "2 contacts (1 of them already there", "1 deal,",
                                        "1 activity"])])
    with session_factory(engine)() as s:
        assert s.get(Customer, gone) is None
        kept = s.get(Customer, keep)
        assert kept is not None and kept.grade == "A" and "key" in kept.tags.split()
        contacts = {c.name: c for c in s.exec(select(Contact).where(col(Contact.customer_id) == keep))}
        assert sorted(contacts) == ["张伟", "李娜"]  # the same 张伟 (same phone) is one contact
        assert contacts["张伟"].title == "采购经理"  # the blank title filled from the duplicate
        for model in (Deal, Activity, FollowUp):
            assert s.exec(select(model).where(col(model.customer_id) == gone)).all() == []
            assert s.exec(select(model).where(col(model.customer_id) == keep)).all() != []
        entry = s.exec(select(AuditLog).where(col(AuditLog.action) == "merge")).one()
        assert entry.entity_id == keep and json.loads(entry.before or "{}")["gone"]["name"] == "华东科技(上海)"
    assert_dialog(team, [
        ("@alice: /customer 华东科技有限公司", ["张伟", "李娜", "产线改造", "上门拜访"]),
        ("@alice: /customer 华东科技(上海)", "No customer"),  # the duplicate is gone
    ])


def test_who_may_merge(engine: Engine, team: Transcript) -> None:
    team.say("@alice: /customer add Acme Trading")
    team.say("@alice: /customer add Acme Trading Shanghai --force")
    team.say("@dave: /customer add Acme Trade --force")
    acme, acme_sh, dave_acme = _ids(engine, "Acme Trading", "Acme Trading Shanghai", "Acme Trade")
    assert_dialog(team, [
        (f"@alice: /customer merge #{acme} #{dave_acme}", "No customer"),  # alice cannot even see dave's
        (f"@fay: /customer merge #{acme} #{acme_sh} confirm", "No customer"),  # finance sees no customers
        (f"@alice: /share #{acme} dave", "dave"),
        (f"@alice: /share #{acme_sh} dave", "dave"),
        (f"@dave: /customer merge #{acme} #{acme_sh} confirm", "Only the owner of both"),  # shared is not owned
        (f"@alice: /customer merge #{acme} #{acme}", "the same customer"),
        (f"@bob: /customer merge #{acme} #{dave_acme} confirm", "Merged"),  # the manager of both owners
        (f"@alice: /customer merge #{acme} #{acme_sh} confirm", "Merged"),  # the owner of both
    ])
    with session_factory(engine)() as s:
        assert s.get(Customer, dave_acme) is None and s.get(Customer, acme_sh) is None
        # dave's customer became alice's: dave keeps sight of it through a share
        assert s.exec(select(CustomerShare).where(col(CustomerShare.customer_id) == acme)).all() != []


def test_a_merge_names_both_customers_by_number_before_it_happens(engine: Engine, team: Transcript) -> None:
    team.say("@alice: /customer add 北辰物流股份有限公司")
    team.say("@alice: /customer add 北辰物流(北京) --force")
    keep, gone = _ids(engine, "北辰物流股份有限公司", "北辰物流(北京)")
    # "confirm" after names is not enough: the button that confirms names both records by number
    assert "cannot be undone" in team.say("@alice: /customer merge 北辰物流股份有限公司 北辰物流(北京) confirm")
    with session_factory(engine)() as s:
        assert s.get(Customer, gone) is not None
    assert "Merged" in team.say(f"@alice: /customer merge #{keep} #{gone} confirm")
