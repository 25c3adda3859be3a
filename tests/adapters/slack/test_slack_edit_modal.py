"""Correcting a record in Slack: `/crm deal edit N`, `/crm customer edit NAME` and `/crm contact edit CUSTOMER NAME`
open a modal with the record's fields as they are; a submission is checked within the ack (in the person's
language) and applied as one edit per changed field, through the real Bolt app against the Slack stand-in."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.adapters.slack import views
from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from storage.models import AuditLog, Contact, Customer, Deal
from tests.conftest import FakeClock
from tests.standins.slack import DEMO_USERS, bind_demo, dm_of, running

ALICE, DAVE, FAY = DEMO_USERS["alice"], DEMO_USERS["dave"], DEMO_USERS["fay"]


def _state(modal: dict[str, Any], changed: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What Slack submits for `modal`: every input's value (its initial one unless changed)."""
    out: dict[str, dict[str, Any]] = {}
    for block in modal["blocks"]:
        el = block["element"]
        name = block["block_id"]
        if el["type"] == "datepicker":
            value = changed.get(name, el.get("initial_date"))
            out[name] = {name: {"type": "datepicker", "selected_date": value}}
        elif el["type"] == "static_select":
            value = changed.get(name, el.get("initial_option", {}).get("value"))
            out[name] = {name: {"type": "static_select",
                                "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}
                                if value else None}}
        else:
            out[name] = {name: {"type": "plain_text_input", "value": changed.get(name, el.get("initial_value"))}}
    return out


async def test_edit_modals_for_a_deal_a_customer_and_a_contact(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=20, now=clock())
    bind_demo(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(ALICE, "customer add 星河仪器有限公司 grade B"))
        await r.ok(await side.slash(ALICE, "contact add 星河仪器 张伟 采购经理 13812345678"))
        await r.ok(await side.slash(ALICE, "deal new 星河仪器 检测设备 100000"))
        deal = re.findall(r"#(\d+)", api.last(dm_of(ALICE)).plain())[0]

        opened = len(api.opened)
        await r.ok(await side.slash(ALICE, f"deal edit {deal}"))
        modal = api.opened[-1]
        assert len(api.opened) == opened + 1 and modal["callback_id"] == views.EDITS["edit.deal"]
        labels = [b["label"]["text"] for b in modal["blocks"]]
        assert labels == ["商机名称", "金额", "预计成交日期"]  # alice reads Chinese
        assert modal["blocks"][0]["element"]["initial_value"] == "检测设备"
        bad = await side.submit(ALICE, modal, _state(modal, {"amount": "很多", "title": " "}))
        errors = json.loads(bad.body)["errors"]
        assert set(errors) == {"amount", "title"} and "很多" in errors["amount"]
        await r.ok(await side.submit(ALICE, modal, _state(modal, {"amount": "12万8", "close": "2027-01-31"})))
        said = api.last(dm_of(ALICE)).plain()
        assert "2027-01-31" in said

        await r.ok(await side.slash(ALICE, "customer edit 星河仪器"))
        cmodal = api.opened[-1]
        assert cmodal["callback_id"] == views.EDITS["edit.customer"]
        await r.ok(await side.submit(ALICE, cmodal, _state(cmodal, {"grade": "A", "industry": "仪器仪表"})))

        await r.ok(await side.slash(ALICE, "contact edit 星河仪器 张伟"))
        pmodal = api.opened[-1]
        assert pmodal["callback_id"] == views.EDITS["edit.contact"]
        assert [b["element"].get("initial_value") for b in pmodal["blocks"]] == [
            "张伟", "采购经理", "+8613812345678", None]
        bad = await side.submit(ALICE, pmodal, _state(pmodal, {"email": "zhang@weixing", "phone": "123"}))
        assert set(json.loads(bad.body)["errors"]) == {"email", "phone"}
        await r.ok(await side.submit(ALICE, pmodal, _state(pmodal, {"email": "zhang@xinghe.cn", "name": "张伟明",
                                                                    "title": ""})))

        opened = len(api.opened)
        await r.ok(await side.slash(FAY, f"deal edit {deal}"))  # finance: no modal, the core's answer
        await r.ok(await side.slash(ALICE, "deal edit 99999"))  # no such deal: the core says so
        await r.ok(await side.slash(ALICE, "customer edit 星河仪器 size 200人"))  # a field named: one line
        assert len(api.opened) == opened
    with Session(engine) as s:
        d = s.get(Deal, int(deal))
        assert d is not None and d.amount == 128000 and str(d.expected_close) == "2027-01-31"
        assert d.title == "检测设备"  # unchanged fields are not touched
        c = s.exec(select(Customer).where(Customer.name == "星河仪器有限公司")).one()
        assert (c.grade, c.industry, c.size) == ("A", "仪器仪表", "200人")
        p = s.exec(select(Contact).where(Contact.customer_id == c.id)).one()
        assert (p.name, p.title, p.phone, p.email) == ("张伟明", None, "+8613812345678", "zhang@xinghe.cn")
        edits = s.exec(select(AuditLog).where(AuditLog.action == "edit")).all()
        assert len(edits) == 8  # amount, close, grade, industry, email, title, name, size: one entry per field
