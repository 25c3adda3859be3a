"""/contact add reads each part by its shape in any order (handlers/parsing/contacts.read_contact): properties
with hypothesis, the conventions, and transcripts (an invalid email or phone refused with its reason)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import select

from handlers.core import Core
from handlers.parsing.contacts import read_contact
from sales.customers import normalize_phone, valid_email
from sales.demo import load_demo
from storage.db import session_factory
from storage.models import Contact
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog

NAMES_EN = ("Li Wei", "Tom Baker", "Anna Schmidt", "Wang Fang", "Maria Lopez", "Chen Jie", "Peter", "Zhou")
TITLES_EN = ("CTO", "Sales Manager", "Head of Procurement", "VP Sales", "Purchasing Director", "General Manager",
             "Chief Engineer", "buyer", "IT Manager")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范廖"
GIVEN = "伟芳娜敏静丽强磊洋勇艳杰娟涛超秀霞平刚桂英华玉兰萍鹏辉玲"
TITLES_ZH = ("采购总监", "总经理", "技术部经理", "销售经理", "副总裁", "财务总监", "董事长", "采购经理", "工程师", "CTO")


def cn_mobile() -> st.SearchStrategy[str]:
    return st.from_regex(r"\A1[3-9][0-9]{9}\Z").filter(lambda p: normalize_phone(p) is not None)


def emails() -> st.SearchStrategy[str]:
    part = st.from_regex(r"\A[a-z][a-z0-9]{0,7}\Z")
    return st.builds(lambda a, b, d, t: f"{a}.{b}@{d}.{t}", part, part, part, st.sampled_from(["com", "cn", "de"]))


def zh_names() -> st.SearchStrategy[str]:
    return st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES), st.text(GIVEN, min_size=1, max_size=2))


def _phone_shapes(p: str) -> st.SearchStrategy[str]:
    return st.sampled_from([p, f"+86{p}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"+86 {p[:3]} {p[3:7]} {p[7:]}"])


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.one_of(st.sampled_from(NAMES_EN), zh_names()), st.sampled_from(TITLES_EN + TITLES_ZH),
       cn_mobile().flatmap(_phone_shapes), emails(), st.permutations(range(4)), st.booleans(), st.booleans(),
       st.booleans())
def test_each_part_is_read_by_its_shape_in_any_order(name: str, title: str, phone: str, email: str,
                                                       order: list[int], with_title: bool, with_phone: bool,
                                                       with_email: bool) -> None:
    parts = [name, title if with_title else "", phone if with_phone else "", email if with_email else ""]
    text = " ".join(parts[i] for i in order if parts[i])
    got = read_contact(text)
    assert got.problem is None, text
    assert got.name == name, text
    assert got.title == (title if with_title else None), text
    assert got.phone == (normalize_phone(phone) if with_phone else None), text
    assert got.email == (email if with_email else None), text


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(NAMES_EN), cn_mobile(), st.sampled_from([
    "li.wei@acme", "li@@acme.com", "@acme.com", "li.wei@", "li..wei@acme.com", "li@acme..com",
    "li@-acme.com", "li@acme.c", "李@acme.com"]), st.booleans())
def test_an_invalid_email_is_refused_never_kept_elsewhere(name: str, phone: str, bad: str, first: bool) -> None:
    text = f"{bad} {name} {phone}" if first else f"{name} {phone} {bad}"
    got = read_contact(text)
    assert (got.problem, got.part) == ("bad_email", bad), text
    assert got.name is None and got.title is None and got.phone is None


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(NAMES_EN), st.sampled_from(["1381234567", "138123456789", "12345", "0000000", "+1 555 0100",
                                                    "1381234x678", "(010) 1234"]))
def test_an_invalid_phone_is_refused_never_kept_elsewhere(name: str, bad: str) -> None:
    got = read_contact(f"{name} CTO {bad}")
    assert got.problem == "bad_phone" and got.name is None and got.title is None, bad


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=60))
def test_any_text_is_read_without_error_and_nothing_misplaced(text: str) -> None:
    got = read_contact(text)
    if got.problem is not None:
        assert got.part and got.name is None and got.phone is None and got.email is None
        return
    assert got.phone is None or re.fullmatch(r"\+\d{7,15}", got.phone)
    assert got.email is None or valid_email(got.email) == got.email
    for field in (got.name, got.title):
        assert field is None or ("@" not in field and sum(c.isdigit() for c in field) < 7), text


def test_conventions() -> None:
    cases = {
        "Li Wei CTO 13812345678 li.wei@acme.com": ("Li Wei", "CTO", "+8613812345678", "li.wei@acme.com"),
        "13812345678 li.wei@acme.com Head of Procurement Li Wei": ("Li Wei", "Head of Procurement",
                                                                  "+8613812345678", "li.wei@acme.com"),
        "张伟 采购总监 13812345678": ("张伟", "采购总监", "+8613812345678", None),
        "采购总监 张伟": ("张伟", "采购总监", None, None),
        "张伟采购总监": ("张伟", "采购总监", None, None),
        "王经理 138-1234-5678": ("王经理", None, "+8613812345678", None),
        "Tom buyer": ("Tom", "buyer", None, None),
        "Li.Wei@ACME.com Li Wei": ("Li Wei", None, None, "li.wei@acme.com"),
    }
    for text, want in cases.items():
        got = read_contact(text)
        assert (got.name, got.title, got.phone, got.email) == want, text
    assert read_contact("Li Wei 13812345678 13900001111").problem == "two_phones"


def test_contact_add_in_chat(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /contact add 苏南远航 Li Wei CTO 13812345678 li.wei@acme.com",
         "Added Li Wei (CTO · +8613812345678 · li.wei@acme.com) to 苏南远航"),
        ("@alice: /contact add 苏南远航 Tom Baker tom@acme", "“tom@acme” is not a valid email address."),
        ("@alice: /contact add 苏南远航 Tom Baker 1381234567", "“1381234567” is not a valid phone number."),
        ("@alice: /contact add 苏南远航 13700001111", "The contact's name?"),
        ("@alice: Tom Baker", "Added Tom Baker (+8613700001111) to"),
    ])
    with session_factory(engine)() as s:
        got = {(c.name, c.title, c.phone, c.email) for c in s.exec(select(Contact).where(
            Contact.name.in_(["Li Wei", "Tom Baker"]))).all()}  # type: ignore[attr-defined]
    assert got == {("Li Wei", "CTO", "+8613812345678", "li.wei@acme.com"), ("Tom Baker", None, "+8613700001111", None)}


def test_contact_add_in_chinese(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@alice: /contact add 苏南远航 采购总监 张伟 13812345678", "已为 苏南远航汽车配件有限公司 添加联系人 张伟（采购总监 · +8613812345678）"),
        ("@alice: /contact add 苏南远航 李娜 li@na", "“li@na” 不是有效的邮箱地址"),
    ])
