"""Phone masking for group chats (sales/privacy/__init__.py) and the group rule's phone test (handlers/groups.py):
a phone written with spaces, dashes or parentheses is masked as its plain digits are; other numbers are left."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from handlers.groups import is_personal
from handlers.types import Reply
from sales.privacy import has_phone, mask_phone, mask_text

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("text", "masked"), [
    ("13812345678", "138****5678"),
    ("+8613800138000", "+86138****8000"),
    ("+86 138 0013 8000", "+86138****8000"),
    ("+86-138-0013-8000", "+86138****8000"),
    ("138-0013-8000", "138****8000"),
    ("138 0013 8000", "138****8000"),
    ("+1 415 555 0101", "+141****0101"),
    ("+1-415-555-0101", "+141****0101"),
    ("+1 (415) 555-0101", "+141****0101"),
    ("(415) 555-0101", "415****0101"),
    ("415-555-0101", "415****0101"),
    ("+44 20 7946 0958", "+4420****0958"),
    ("+852 2345 6789", "+852****6789"),
    ("021-12345678", "021****5678"),
    ("021 6234 5678", "021****5678"),
    ("(021) 6234 5678", "021****5678"),
    ("call +1 415 555 0101, or 138-0013-8000.", "call +141****0101, or 138****8000."),
    ("张总电话13812345678，明天联系", "张总电话138****5678，明天联系"),
    ("_13812345678_", "_138****5678_"),
    ("13800138000,13900139000", "138****8000,139****9000"),
    ("+86 138 0013 8000 2026-11-22 visit", "+86138****8000 2026-11-22 visit"),
])
def test_phones_in_any_layout_are_masked_like_their_digits(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert has_phone(text)
    assert is_personal(Reply(text=text), False)


@pytest.mark.parametrize("text", [
    "120,000", "¥2,560,000", "Pipeline: ¥2,560,000", "2026-11-22", "2026/11/22", "due 2026-11-22 14:30",
    "+3 2026-11-22", "15%", "+15%", "8.5% off", "quote #1234567", "Quote #12 (v2)", "order #3", "#13812345678",
    "12,500 units", "+120,000", "20260101", "Q4 2026", "x200", "100-200-3000", "3.1415926535",
    "Deal #12 → Won, 2027-01-15, order #3",
])
def test_numbers_that_are_not_phones_are_left_alone(text: str) -> None:
    assert mask_text(text) == text
    assert not has_phone(text)
    assert not is_personal(Reply(text=text), False)


def test_markup_stars_mask_a_spaced_phone() -> None:
    assert mask_text("+1 415 555 0101", star="\\*") == "+141\\*\\*\\*\\*0101"


# Text around a phone: no digit, and nothing that binds to a number (# +) or makes an email (@).
context = st.text(st.characters(codec="utf-8", exclude_categories=("Nd", "Cs"), exclude_characters="#+@"),
                  max_size=12)
separators = st.sampled_from([" ", "-"])


def grouped(digits: str, sizes: list[int], sep: str) -> str:
    """`digits` in groups of `sizes` (the last takes the rest), joined by `sep`."""
    out, at = [], 0
    for size in sizes:
        if at + size >= len(digits):
            break
        out.append(digits[at:at + size])
        at += size
    return sep.join([*out, digits[at:]])


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(a phone as people write it, the same phone as plain digits)."""
    kind = draw(st.sampled_from(["cn", "intl", "nanp", "landline"]))
    sep = draw(separators)
    if kind == "cn":
        plain = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
        shown = draw(st.sampled_from([plain, grouped(plain, [3, 4], sep), "+86" + plain,
                                      "+86" + sep + grouped(plain, [3, 4], sep)]))
        return shown, ("+86" + plain if shown.startswith("+") else plain)
    if kind == "nanp":
        area = draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=2, max_size=2))
        rest = draw(st.text("0123456789", min_size=7, max_size=7))
        shown = draw(st.sampled_from([f"({area}) {rest[:3]}-{rest[3:]}", f"{area}-{rest[:3]}-{rest[3:]}",
                                      f"+1 ({area}) {rest[:3]}-{rest[3:]}", f"+1{sep}{area}{sep}{rest[:3]}{sep}{rest[3:]}"]))
        return shown, ("+1" if shown.startswith("+") else "") + area + rest
    if kind == "landline":
        area = "0" + draw(st.text("123456789", min_size=2, max_size=3))
        local = draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=6, max_size=7))
        shown = draw(st.sampled_from([f"{area}-{local}", f"{area}{sep}{grouped(local, [len(local) - 4], sep)}",
                                      f"({area}) {grouped(local, [len(local) - 4], sep)}"]))
        return shown, area + local
    cc = draw(st.sampled_from(["1", "33", "44", "49", "61", "81", "852", "886"]))
    national = draw(st.sampled_from("123456789")) + draw(
        st.text("0123456789", min_size=6, max_size=14 - len(cc)))
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=5))
    body = grouped(national, sizes, sep)
    if draw(st.booleans()) and sizes[0] < len(national):
        body = f"({national[:sizes[0]]}) " + grouped(national[sizes[0]:], sizes[1:] or [4], sep)
    shown = "+" + cc + draw(separators) + body
    assume(not re.search(r"\d{4}-\d\d?-\d\d?(?!\d)", shown))  # that reads as a date: left alone on purpose
    return shown, "+" + cc + national


@FAST
@given(context, phones(), context)
def test_a_phone_in_any_layout_is_masked_as_its_plain_digits(before: str, phone: tuple[str, str], after: str) -> None:
    shown, plain = phone
    assert mask_text(before + shown + after) == before + mask_phone(plain) + after
    assert has_phone(before + shown + after)


not_phones = st.one_of(
    st.integers(0, 10**10).map(lambda n: f"{n:,}"),
    st.integers(0, 10**10).map(lambda n: f"¥{n:,}"),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d:%Y/%m/%d}"),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}"),
    st.decimals(0, 100, places=1).map(lambda x: f"{x}%"),
    st.integers(0, 100).map(lambda n: f"+{n}%"),
    st.integers(1, 10**12).map(lambda n: f"#{n}"),
    st.integers(1, 10**6).map(lambda n: f"quote #{n}"),
    st.integers(0, 999),
).map(str)


@FAST
@given(st.lists(st.tuples(not_phones, st.sampled_from([" ", ", ", "，", "; ", " on ", "、"])), max_size=8))
def test_amounts_dates_percentages_and_references_are_never_masked(parts: list[tuple[str, str]]) -> None:
    text = "".join(p + sep for p, sep in parts)
    assert mask_text(text) == text
    assert not has_phone(text)
