"""Fields from a card's text lines (no OCR): the conventions, and properties over any input, since it parses user photos."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales.cards import CardReading, Line, NotACard
from sales.cards.contacts import clean
from sales.cards.fields import read_lines
from sales.customers import normalize_phone
from tests.sales import cardgen

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EMAIL = re.compile(r"^[a-z0-9][a-z0-9._%+\-]*@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$")


def card(*rows: str | tuple[str, float]) -> list[Line]:
    """Lines laid out top to bottom; a (text, size) row sets its type size (default 24)."""
    lines, y = [], 40.0
    for row in rows:
        text, size = row if isinstance(row, tuple) else (row, 24.0)
        lines.append(Line(text, (60.0, y, 60.0 + 14 * len(text), y + size), 0.98))
        y += size * 1.6
    return lines


def fields(lines: list[Line]) -> dict[str, str | None]:
    got = read_lines(lines)
    assert isinstance(got, CardReading), got
    return got.fields.as_dict()


def test_a_chinese_card() -> None:
    got = fields(card("华东精密机械有限公司", ("张伟", 48), "销售总监", "手机：138 0013 8000", "电话：021-6234 5678",
                      "邮箱：zhangwei@hdjm.com.cn", "地址：上海市浦东新区张江路88号"))
    assert got == {"company": "华东精密机械有限公司", "person": "张伟", "title": "销售总监", "mobile": "+8613800138000",
                   "phone": "021-62345678", "email": "zhangwei@hdjm.com.cn", "address": "上海市浦东新区张江路88号"}


def test_an_english_card_with_letter_labels_and_a_wrapped_address() -> None:
    got = fields(card("Northwind Instruments Co., Ltd.", ("Laura Taylor", 44), "Head of Procurement",
                      "M: +86 139 1234 5678", "T: +86 21 6234 5678", "E: laura.taylor@northwind.com",
                      "A: Suite 1208, Tower 2, Kerry Plaza,", "No. 1 Zhongxin 4th Road, Shenzhen"))
    assert got["person"] == "Laura Taylor" and got["title"] == "Head of Procurement"
    assert got["company"] == "Northwind Instruments Co., Ltd."
    assert got["mobile"] == "+8613912345678" and got["phone"] == "021-62345678"
    assert got["address"] == "Suite 1208, Tower 2, Kerry Plaza, No. 1 Zhongxin 4th Road, Shenzhen"


def test_a_bilingual_card_gives_the_chinese_fields() -> None:
    got = fields(card("岭南包装材料科技有限公司", "Lingnan Packaging Materials Co., Ltd.", ("廖敏", 50), "Min Liao",
                      "项目经理", "Project Manager", "手机 Mob: 188 8083 6544", "邮箱 Email: min.liao@lnbz.com",
                      "地址 Add: 广州市天河区体育西路103号", "No. 103 Tiyu West Rd, Guangzhou"))
    assert (got["company"], got["person"], got["title"]) == ("岭南包装材料科技有限公司", "廖敏", "项目经理")
    assert got["address"] == "广州市天河区体育西路103号"


def test_name_and_title_on_one_line_and_a_logo_short_name() -> None:
    got = fields(card(("齐鲁", 40), "齐鲁新材料股份有限公司", ("徐丽 采购总监", 40), "M:130-3097-0943"))
    assert (got["person"], got["title"], got["company"]) == ("徐丽", "采购总监", "齐鲁新材料股份有限公司")
    got = fields(card(("Laura Taylor Marketing Director", 40), "Summit Materials Inc.", "Mobile 13774903659"))
    assert (got["person"], got["title"]) == ("Laura Taylor", "Marketing Director")


def test_phones_by_label_and_plan() -> None:
    got = fields(card("闽江自动化集团有限公司", ("梁艳", 48), "Tel: 159 6957 8048", "Fax: 0571-6377 8945",
                      "服务热线：400-820-8820"))
    assert got["mobile"] == "+8615969578048"  # a mobile number under a Tel label is still the mobile
    assert got["phone"] == "400-820-8820"  # the fax is never the phone
    got = fields(card("天府物流有限公司", ("石艳", 48), "手机：181 4657 4257    电话：0512-4323 4300"))
    assert (got["mobile"], got["phone"]) == ("+8618146574257", "0512-43234300")


def test_a_department_before_a_title_is_dropped_but_a_department_head_stays() -> None:
    assert fields(card("秦川智能装备有限公司", ("高洋", 48), "市场部 采购总监", "手机 15806252221"))["title"] == "采购总监"
    assert fields(card("秦川智能装备有限公司", ("高洋", 48), "市场部经理", "手机 15806252221"))["title"] == "市场部经理"
    assert fields(card("Vertex Medical Inc.", ("Emily Miller", 44), "R&D Center cto", "M: 18810809644"))[
        "title"] == "CTO"


def test_what_is_not_a_card() -> None:
    assert read_lines([]) == NotACard("no_text")
    receipt = card("华联超市有限公司", "电话：021-64871234", "可口可乐 1 x 3.50 3.50", "面包 1 x 8.00 8.00",
                   "牛奶 1 x 12.50 12.50", "合计：24.00")
    assert read_lines(receipt) == NotACard("receipt")
    chat = card("10:21", "明天下午三点开会，记得带上报价单。", "10:25", "好的，我会准时到。", "11:02",
                "张总的电话是13812345678，你联系一下。")
    assert read_lines(chat) == NotACard("prose")
    assert read_lines(card("2026年第三季度销售额", "七月", "八月", "6,500")) == NotACard("no_contact")


# Properties over any lines at all.
FRAGMENTS = ["手机：", "电话", "Tel:", "M:", "E:", "Fax", "地址：", "Add:", "邮箱", "138 0013 8000", "+86", "021-",
             "6234 5678", "@", ".com", "有限公司", "Co., Ltd.", "张伟", "Laura Taylor", "经理", "Director", "号", "路",
             " ", "  ", "|", "/", "：", "(", ")", "0", "1", "×", "◆", "\x00", "😀", "ー", "公司", "Inc.", "部", "No."]
texts = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join))
coords = st.floats(min_value=-50, max_value=3000, allow_nan=False)
sizes = st.floats(min_value=0, max_value=300, allow_nan=False)
lines_st = st.lists(
    st.builds(lambda t, x, y, w, h, s: Line(t, (x, y, x + w, y + h), s), texts, coords, coords, sizes, sizes,
              st.floats(min_value=0, max_value=1)),
    max_size=30,
)


def _squeezed(text: str) -> str:
    return "".join(clean(text).casefold().split())


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
@FAST
@given(lines_st)
def test_any_lines_give_a_reading_that_keeps_its_promises(lines: list[Line]) -> None:
    got = read_lines(lines)
    if isinstance(got, NotACard):
        return
    f = got.fields
    assert 0 <= got.confidence <= 1
    assert f.mobile or f.phone or f.email
    seen = " ".join(_squeezed(line.text) for line in lines)
    assert f.mobile is None or normalize_phone(f.mobile) == f.mobile
    assert f.phone is None or normalize_phone(f.phone) is not None
    if f.mobile:
        kind = phonenumbers.number_type(phonenumbers.parse(f.mobile))
        assert kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if f.email:
        assert EMAIL.match(f.email) and f.email.split("@")[0] in seen.replace(" ", "")
    for text in (f.company, f.person):
        assert text is None or (text.strip() and _squeezed(text) in seen)


# Whole cards drawn at random from the generator's pools, laid out as lines: the fields come back.
@st.composite
def card_lines(draw: st.DrawFn) -> tuple[list[Line], cardgen.Person]:
    rng = cardgen.random.Random(draw(st.integers(0, 2**32)))
    who = cardgen.person(rng, draw(st.sampled_from(("zh", "en", "bi"))))
    style = draw(st.sampled_from(sorted(cardgen.LABELS)))
    rows: list[str | tuple[str, float]] = [who.company]
    if who.company_en:
        rows.append(who.company_en)
    rows += [(who.person, 46.0), who.title]
    if who.person_en:
        rows.append(who.person_en)
    rows += cardgen.contact_lines(rng, who, style) + who.extras
    order = draw(st.permutations(range(len(rows)))) if draw(st.booleans()) else range(len(rows))
    laid = card(*rows)
    return [laid[i] for i in order], who


@FAST
@given(card_lines())
def test_random_cards_as_lines_read_back(drawn: tuple[list[Line], cardgen.Person]) -> None:
    lines, who = drawn
    got = fields(lines)
    for name in ("company", "person", "mobile", "email"):
        assert cardgen.same(name, who.truth()[name], got[name]), (name, who.truth()[name], got[name])
