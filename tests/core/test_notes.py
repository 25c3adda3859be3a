"""Reading a whole note (PRODUCT.md "Reading a whole note"): the public notes, and notes of our own in both languages."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from handlers.parsing import NoteReading, read_note
from tests.conftest import shared_file
from tests.core.notes_cases import SETS, SHANGHAI, TUESDAY, Row
from tests.core.test_parsing import _shown

FIELDS = ("person", "title", "quantity", "amount", "currency", "when", "discount")


def fields(got: NoteReading) -> dict[str, Any]:
    """A reading in the shape of the eval files."""
    return {
        "person": got.person,
        "title": got.title,
        "quantity": None if got.quantity is None else [got.quantity.count, got.quantity.unit],
        "amount": None if got.amount is None else str(got.amount),
        "currency": got.currency,
        "when": _shown(got.when),
        "discount": None if got.discount is None else str(got.discount),
    }


def test_public_notes_are_read_whole() -> None:
    path = shared_file("eval", "notes_public.jsonl")
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    right_notes = right_fields = total_fields = 0
    misses = []
    for case in cases:
        got = fields(read_note(case["text"], datetime.fromisoformat(case["now"])))
        wrong = {k: (got[k], v) for k, v in case["expect"].items() if got[k] != v}
        right_notes += not wrong
        total_fields += len(case["expect"])
        right_fields += len(case["expect"]) - len(wrong)
        if wrong:
            misses.append(f"{case['text']!r}: (got, expected) {wrong}")
    print(f"public notes: {right_notes}/{len(cases)} whole, {right_fields}/{total_fields} fields")
    assert cases
    assert right_notes / len(cases) >= 0.9, "\n".join(misses)
    assert right_fields / total_fields >= 0.97, "\n".join(misses)


def _expected(row: Row) -> dict[str, Any]:
    expect = dict(zip(FIELDS, row[1:], strict=True))
    expect["quantity"] = None if expect["quantity"] is None else list(expect["quantity"])
    return expect


CASES = [(now, row) for now, rows in SETS for row in rows]


@pytest.mark.parametrize(("now", "row"), CASES, ids=[f"{now:%a}-{row[0][:20]}" for now, row in CASES])
def test_a_note_of_our_own(now: datetime, row: Row) -> None:
    assert fields(read_note(row[0], now)) == _expected(row)


def test_our_own_notes_score() -> None:
    whole = sum(fields(read_note(row[0], now)) == _expected(row) for now, row in CASES)
    print(f"our own notes: {whole}/{len(CASES)} whole")
    assert whole / len(CASES) >= 0.9


def test_our_own_people_are_not_the_customers() -> None:
    # Decided: 我们的/我司/我方/同事/our/my before a name marks one of ours; the customer's is the next one named.
    assert read_note("我们的王工去了现场，客户赵总很满意", TUESDAY).person == "赵总"
    assert read_note("我司李经理陪同拜访了陈总", TUESDAY).person == "陈总"
    assert read_note("同事小王说客户要20台", TUESDAY).person is None
    assert read_note("our engineer Tom met their buyer Lisa Ray", TUESDAY).person == "Lisa Ray"
    assert read_note("My colleague Anna called; no news", TUESDAY).person is None
    assert read_note("我们的客户经理张三陪同见了李总", TUESDAY).person == "李总"
    assert read_note("带着我们销售总监去见了周总", TUESDAY).person == "周总"


def test_nothing_is_guessed() -> None:
    assert read_note("客户比较认可，暂时没有下一步", TUESDAY) == NoteReading()
    assert read_note("", TUESDAY) == NoteReading()
    assert read_note("great meeting, they loved the demo", TUESDAY) == NoteReading()


def test_the_title_belongs_to_the_person_or_stands_alone() -> None:
    assert read_note("王经理说他们总经理下周来", TUESDAY).title is None  # someone else's title
    assert read_note("met the plant manager", TUESDAY).title == "plant manager"
    got = read_note("和戴经理、采购员小周开会", TUESDAY)
    assert (got.person, got.title) == ("戴经理", None)


def test_an_unmarked_amount_is_in_the_teams_currency() -> None:
    assert read_note("预算30万", TUESDAY).currency == "CNY"
    assert read_note("预算30万", TUESDAY, currency="USD").currency == "USD"
    assert read_note("budget 300k EUR", TUESDAY, currency="USD").currency == "EUR"
    assert read_note("要50台", TUESDAY).currency is None  # no amount, no currency


def test_the_follow_up_among_several_times() -> None:
    # tied to a follow-up word
    assert read_note("昨天见了客户，明天发资料，下周三再跟进", TUESDAY).when == date(2026, 12, 2)
    # none tied: the last one named
    assert read_note("明天发资料，周五开会", TUESDAY).when == date(2026, 11, 27)
    # a follow-up word with no time of its own does not hide the time named before it
    assert read_note("下周二上午9点开会，会后再联系", TUESDAY).when == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    # a delivery deadline of the customer's is not our follow-up
    assert read_note("客户要求3天内交付", TUESDAY).when is None
    assert read_note("客户要求3天内交付，周五再联系", TUESDAY).when == date(2026, 11, 27)


def test_next_friday_is_asked_back() -> None:
    got = read_note("Sent the quote, follow up next Friday", TUESDAY)
    assert got.when is None and got.ambiguous


def test_the_quantity_is_where_the_note_says_it() -> None:
    text = "见了张总，要50台报价"
    got = read_note(text, TUESDAY).quantity
    assert got is not None and text[got.start : got.end] == "50台"
    assert read_note("要50台", TUESDAY).amount is None
    assert read_note("订了12,000件", TUESDAY).quantity is not None
    assert read_note("amount 75 monitors", TUESDAY).amount is None


def test_amounts_keep_their_decimals() -> None:
    assert read_note("单价1.5元", TUESDAY).amount == Decimal("1.5")


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("李娜说要50台", "李娜"),
        ("王建国表示可以", "王建国"),
        ("张小明来电，要3套", "张小明"),
        ("见了李小姐", "李小姐"),
        ("王磊（采购主管）要10台", "王磊"),
        ("和采购主管小李沟通", "小李"),
        ("拜访了欧阳总", "欧阳总"),
        ("和Peter（采购经理）开会", "Peter"),
        ("Jane Doe (Head of IT) called", "Jane Doe"),
        ("Met Kevin O'Brien", "Kevin O'Brien"),
        ("客户说要50台", None),
        ("客户周五再来", None),
        ("对方苏州的工厂", None),
        ("Samsung wants 10 units", None),
        ("Visited Huawei, no one there", None),
    ],
)
def test_names_as_written(text: str, person: str | None) -> None:
    assert read_note(text, TUESDAY).person == person


@pytest.mark.parametrize(
    ("text", "person", "title"),
    [
        ("见了副总李总，要20台", "李总", "副总"),
        ("李副总说可以", "李副总", None),
        ("见了IT主管孙工", "孙工", "IT主管"),
        ("约见了华东区销售总监马总", "马总", "华东区销售总监"),
        ("见到部长欧阳明", "欧阳明", "部长"),
        ("客户：王磊，采购主管，电话13912345678", "王磊", "采购主管"),
        ("operations director Tim Cook said yes", "Tim Cook", "operations director"),
        ("Met procurement manager Lisa Wong", "Lisa Wong", "procurement manager"),
        ("Met Raj Kumar, Head of Supply Chain", "Raj Kumar", "Head of Supply Chain"),
        ("Talked to Dr. Hoffmann, Chief Medical Officer", "Dr. Hoffmann", "Chief Medical Officer"),
        ("见了工程总监，要20台", None, "工程总监"),
        ("客户董事长亲自来看了样品", None, "董事长"),
    ],
)
def test_titles_as_written(text: str, person: str | None, title: str | None) -> None:
    got = read_note(text, TUESDAY)
    assert (got.person, got.title) == (person, title)
