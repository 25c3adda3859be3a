"""Forms, platform-neutral: pickers within the scopes, checks in one language, the command a submission runs."""

from __future__ import annotations

from sqlalchemy import Engine

from handlers import forms
from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def test_pickers_offer_what_the_person_may_see_and_nothing_to_strangers(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=10, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    assert_dialog(Transcript(core), [
        ("@alice: /customer add 华东精密机械有限公司 grade A", "华东精密机械有限公司"),
        ("@alice: /deal new 华东精密 设备 100000", "设备"),
        ("@carol: /deactivate dave", "dave"),
    ])

    def pick(user: str, picker: str, typed: str) -> list[tuple[str, str]]:
        return forms.picker_options(core, "console", "local", user, picker, typed)

    customers = pick("alice", forms.CUSTOMERS, "华东精密")
    assert customers and customers[0][0] == "华东精密机械有限公司"
    deals = pick("alice", forms.DEALS, "华东精密")
    assert len(deals) == 1 and deals[0][0].endswith("华东精密机械有限公司 · 设备")
    assert pick("alice", forms.DEALS, deals[0][1]) == deals == pick("alice", forms.DEALS, f"#{deals[0][1]}")
    assert deals[0] in pick("alice", forms.DEALS, "")  # nothing typed: the latest open deals
    assert pick("bob", forms.DEALS, deals[0][1]) == deals  # her manager sees her deals
    assert pick("fay", forms.CUSTOMERS, "华东精密") == []  # finance sees no customers' names here
    assert pick("dave", forms.CUSTOMERS, "华东精密") == []  # deactivated
    assert pick("nobody", forms.DEALS, "") == [] and pick("alice", "colour", "red") == []
    assert pick("alice", forms.CUSTOMERS, " ") == []


def test_checks_answer_per_field_in_one_language() -> None:
    good = {"deal": "7", "lines": "CNC lathe 2 6000\nInstall 1 500", "discount": "八五折"}
    assert forms.check(forms.QUOTE, good, "en") == {}
    bad = {"deal": "", "lines": "lathe two", "discount": "120%"}
    assert forms.check(forms.QUOTE, bad, "en") == {
        "deal": "Choose a deal.", "lines": "I can't read the line “lathe two”. Write: ITEM QTY UNIT_PRICE",
        "discount": "The discount must be from 0% to below 100%, not 120%."}
    zh = forms.check(forms.QUOTE, bad, "zh")
    assert zh == {"deal": "请选择商机。", "lines": "这行看不懂：“lathe two”。格式：品名 数量 单价",
                  "discount": "折扣要在 0% 到 100% 之间（不含 100%），不是 120%。"}
    assert forms.check(forms.QUOTE, {**good, "discount": "lots"}, "en")["discount"].startswith("The discount")
    assert forms.check(forms.VISIT, {"customer": "x", "text": " "}, "zh") == {"customer": "请选择客户。",
                                                                              "text": "请写上内容。"}
    assert forms.check("survey", {}, "en") == {}


def test_a_submission_is_the_command_it_stands_for() -> None:
    chat = ChatRef(platform="slack", workspace="T1", chat="C1")
    visit = forms.submitted(forms.VISIT, {"customer": "12", "kind": "call", "text": "talked", "followup": "2026-11-27"},
                            chat=chat, user="U1", event_id="view:V1")
    assert visit is not None and visit.text == "/call #12 talked\n→ 2026-11-27"
    assert visit.private and visit.chat == chat and visit.event_id == "view:V1" and visit.user == "U1"
    assert forms.command_line(forms.VISIT, {"customer": "3", "kind": "poem", "text": "hi"}) == "/visit #3 hi"
    assert forms.command_line(forms.QUOTE, {"deal": "7", "lines": "A 1 2\n\n B 3 4 ", "discount": "5%"}) == \
        "/quote new #7 A 1 2; B 3 4 discount 5%"
    assert forms.command_line(forms.QUOTE, {"deal": "7", "lines": "A 1 2"}) == "/quote new #7 A 1 2"
    assert forms.submitted("survey", {}, chat=chat, user="U1", event_id="x") is None


def test_an_invoice_form_is_the_request_it_stands_for() -> None:
    line = forms.command_line(forms.INVOICE, {"order": "7", "installment": "2", "amount": "", "tax": "9131 0000",
                                              "title": " 华东精密  有限公司 "})
    assert line == "/invoice request 7 installment 2 tax 9131 0000 title 华东精密 有限公司"
    assert forms.check(forms.INVOICE, {"order": "7"}, "en") == {}
    assert forms.check(forms.INVOICE, {"order": "", "tax": "x"}, "en") == {
        "order": "Choose an order.", "tax": "“x” is not a tax number (6 to 30 letters and digits)."}
