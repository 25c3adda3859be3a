"""A contact as typed after /contact add CUSTOMER: name, title, phone and email, each recognized by its shape in
any order (`Li Wei CTO 13812345678 li.wei@acme.com`, `采购总监 张伟 13812345678`, `张伟采购总监`). An email or phone
that is not valid is refused with the part at fault, never kept in another field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.parsing.people import addressed
from handlers.parsing.titles import ZH_TITLE_WORD
from sales.customers import normalize_phone, valid_email

_SEP = re.compile(r"[\s,，、;；|]+")
_NUMBERISH = re.compile(r"^[+＋]?[\d\-–().（）]+$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_NAME_HAN = re.compile(r"^[\u3400-\u9fff·]{2,5}$")
# Words of English titles: roles (a title has one) and what they are of.
_ROLES = ("""ceo cto cfo coo cmo cio cpo cso ciso vp svp evp gm president chairman chairwoman director
manager engineer officer head lead founder co-founder cofounder partner consultant specialist representative rep
executive assistant secretary architect designer analyst accountant supervisor coordinator administrator advisor
adviser buyer owner chief principal developer technician agent professor lawyer counsel scientist researcher
intern clerk treasurer controller""")
ROLES_EN = frozenset(_ROLES.split())
_FIELDS = ("""of and for the & sales marketing purchasing procurement business development operations ops
product project technical technology customer service services human resources hr it finance financial legal quality
supply chain logistics regional general managing senior junior deputy vice account accounts key research r&d
engineering design data software hardware plant factory production international global area country channel export
import office admin administrative strategy brand digital commercial retail""")
FIELDS_EN = frozenset(_FIELDS.split())


@dataclass(frozen=True)
class ContactReading:
    """What the words say: the name as written, the title, the phone in E.164, the email in lower case; or the
    `problem` ("bad_phone", "bad_email", "two_phones", "two_emails") and the `part` at fault."""

    name: str | None = None
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    problem: str | None = None
    part: str = ""


def _digits(word: str) -> int:
    return sum(ch.isdigit() for ch in word)


def _phoneish(word: str) -> bool:
    return (_NUMBERISH.match(word) is not None and _digits(word) >= 3) or _digits(word) >= 7


def _words(text: str) -> list[str]:
    """The words, a phone typed in groups (138 1234 5678, +86 138-1234-5678) joined into one."""
    out: list[str] = []
    run: list[str] = []
    for w in [*(x for x in _SEP.split(text.strip()) if x), ""]:
        if w and _NUMBERISH.match(w) and _digits(w) >= 1:
            run.append(w)
            continue
        if run:
            joined = "".join(run)
            out += [joined] if 7 <= _digits(joined) <= 16 else run
            run = []
        if w:
            out.append(w)
    return out


def _latin(word: str) -> str:
    return word.casefold().strip(".()（）")


def _split_han(word: str) -> tuple[str, str] | None:
    """A name and a title written as one word (张伟采购总监, 采购总监张伟): (name, title)."""
    for m in ZH_TITLE_WORD.finditer(word):
        if m.end() == len(word) and _NAME_HAN.match(word[: m.start()]):
            return word[: m.start()], m.group()
        if m.start() == 0 and _NAME_HAN.match(word[m.end():]):
            return word[m.end():], m.group()
    return None


def read_contact(text: str, region: str = "CN") -> ContactReading:
    """Read a contact's parts from `text` by their shapes; never raises."""
    phone = email = None
    title: list[str] = []
    names: list[str] = []  # what may be the name, in order
    for w in _words(text):
        if "@" in w:
            got = valid_email(w.strip("<>()（）[]"))
            if got is None:
                return ContactReading(problem="bad_email", part=w)
            if email is not None and got != email:
                return ContactReading(problem="two_emails", part=w)
            email = got
        elif _phoneish(w):
            num = normalize_phone(w, region)
            if num is None:
                return ContactReading(problem="bad_phone", part=w)
            if phone is not None and num != phone:
                return ContactReading(problem="two_phones", part=w)
            phone = num
        elif _HAN.search(w):
            if addressed(w):
                names.append(w)
            elif ZH_TITLE_WORD.fullmatch(w):
                title.append(w)
            elif (both := _split_han(w)) is not None:
                names.append(both[0])
                title.append(both[1])
            else:
                names.append(w)
        elif _latin(w) in ROLES_EN or _latin(w) in FIELDS_EN:
            title.append(w)
        else:
            names.append(w)
    name, rest = _name_of(names)
    return ContactReading(name=name, title=" ".join([*title, *rest]) or None, phone=phone, email=email)


def _name_of(words: list[str]) -> tuple[str | None, list[str]]:
    """The name: the first word and the words of the same kind after it (Li Wei; 张伟 alone); the rest is not."""
    if not words:
        return None, []
    first = words[0]
    if _HAN.search(first):
        return first, words[1:]
    run = [first]
    for w in words[1:4]:
        if _HAN.search(w) or not w[:1].isalpha() or w[:1].isupper() != first[:1].isupper():
            break
        run.append(w)
    return " ".join(run), words[len(run):]
