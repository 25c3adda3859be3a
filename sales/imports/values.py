"""Reading one cell: text, amounts with units, dates in every form, phones, emails, grades, owners, names' keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from sales.names import name_key, pinyin_key
from sales.names.dedupe import merge_key
from storage.models import User
from storage.types import cents

MAX_TEXT = 4000
MAX_AMOUNT = Decimal(10) ** 13
FORMULA_START = ("=", "+", "-", "@")
_EXCEL_EPOCH = date(1899, 12, 30)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_NOISE = re.compile(r"[\s\-().（）.·/]+")
_CN_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d\d:?\d\d)?")
_ZH_DATE = re.compile(r"(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s*(\d{1,2})[:：点时](\d{2})?分?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?")
_AGO = re.compile(r"(\d+)\s*(?:天前|days?\s+ago)")
_RELATIVE = {"今天": 0, "今日": 0, "today": 0, "昨天": -1, "昨日": -1, "yesterday": -1, "前天": -2,
             "大前天": -3, "明天": 1, "tomorrow": 1, "后天": 2}
_CELL_UNITS = (("亿元", 100_000_000), ("亿", 100_000_000), ("万元", 10_000), ("万", 10_000), ("千元", 1000),
               ("千", 1000), ("w", 10_000), ("k", 1000), ("m", 1_000_000), ("元", 1))
_MONEY_MARKS = re.compile(r"[¥￥$,，\s]|rmb|cny|usd|人民币")
_GRADE = re.compile(r"([abc])\s*(?:类|级|级客户|类客户)?")
_TRUE = {"已完成", "完成", "是", "done", "yes", "y", "true", "completed", "closed", "1", "√", "✓"}


@dataclass(frozen=True, slots=True)
class Issue:
    """Why a cell was refused (the row is rejected) or flagged (kept as typed)."""

    code: str
    column: str = ""
    value: str = ""


class Bad(Exception):
    """A cell its field cannot hold."""

    def __init__(self, code: str, value: object = "") -> None:
        super().__init__(code)
        self.code = code
        self.value = str(value)[:60]




def text(value: Any) -> str | None:
    """A cell as text: trimmed, numbers without a spurious .0, a protective apostrophe removed."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if s[:1] == "'" and s[1:2] in FORMULA_START:
            s = s[1:]
        return s or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip() or None


def long_text(value: Any) -> str | None:
    """Free text of at most MAX_TEXT characters."""
    s = text(value)
    if s is not None and len(s) > MAX_TEXT:
        raise Bad("text_too_long")
    return s


def amount(value: Any, unit: Decimal) -> Decimal | None:
    """A money amount: numbers, 1,200, ¥120, 12万8-style units in the cell, Chinese numerals (二百)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Bad("bad_amount", value)
    if isinstance(value, int | float):
        num = Decimal(repr(value)) * unit
    else:
        raw = text(value)
        if raw is None:
            return None
        num = _amount_text(raw, unit)
    if num < 0:
        raise Bad("negative", value)
    if num >= MAX_AMOUNT:
        raise Bad("amount_too_large", value)
    return cents(num)


def _amount_text(raw: str, unit: Decimal) -> Decimal:
    s = _MONEY_MARKS.sub("", raw.casefold())
    for word, mult in _CELL_UNITS:
        if s.endswith(word) and len(s) > len(word):
            s, unit = s[: -len(word)], Decimal(mult)
            break
    try:
        return Decimal(s) * unit
    except InvalidOperation:
        pass
    try:
        import cn2an  # 0.5 s to import: only when a cell needs it

        return Decimal(str(cn2an.cn2an(s, "smart"))) * unit
    except (ValueError, KeyError, TypeError, IndexError, InvalidOperation):
        raise Bad("bad_amount", raw) from None


def integer(value: Any) -> int | None:
    """A whole number, e.g. minutes or a probability."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    s = (text(value) or "").rstrip("%％ ")
    if not s:
        return None
    try:
        return int(Decimal(s))
    except InvalidOperation:
        raise Bad("bad_number", value) from None


def a_date(value: Any, today: date) -> date | datetime | None:
    """A date or a naive local datetime from ISO text, Excel serials, 2024年3月5日, 3/5/2024, 昨天 …"""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date() if value.time() == time() else value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Bad("bad_date", value)
    if isinstance(value, int | float):
        return _serial(float(value))
    raw = text(value)
    if raw is None:
        return None
    return _date_text(raw, today)


def _serial(num: float) -> date | datetime:
    """An Excel date serial (days since 1899-12-30; a fraction is the time of day), or yyyymmdd."""
    if 19000101 <= num <= 21001231 and num.is_integer():
        m = _COMPACT.fullmatch(str(int(num)))
        if m:
            return _ymd(m.group(1), m.group(2), m.group(3), num)
    if not 1 <= num < 2958466:
        raise Bad("bad_date", num)
    days = int(num)
    day = _EXCEL_EPOCH + timedelta(days=days)
    seconds = round((num - days) * 86400)
    if seconds == 0:
        return day
    return datetime.combine(day, time()) + timedelta(seconds=seconds // 60 * 60)


def _ymd(y: str, m: str, d: str, raw: object, hh: str | None = None, mm: str | None = None,
         ss: str | None = None) -> date | datetime:
    try:
        day = date(int(y), int(m), int(d))
        if hh is None:
            return day
        return datetime.combine(day, time(int(hh), int(mm or 0), int(ss or 0)))
    except ValueError:
        raise Bad("bad_date", raw) from None


def _date_text(raw: str, today: date) -> date | datetime:
    s = raw.strip().casefold()
    if s in _RELATIVE:
        return today + timedelta(days=_RELATIVE[s])
    m = _AGO.fullmatch(s)
    if m:
        return today - timedelta(days=int(m.group(1)))
    m = _ISO.fullmatch(s)
    if m:
        return _ymd(m.group(1), m.group(2), m.group(3), raw, m.group(4), m.group(5), m.group(6))
    m = _ZH_DATE.fullmatch(s)
    if m:
        year = m.group(1) or str(today.year)
        return _ymd(year, m.group(2), m.group(3), raw, m.group(4), m.group(5))
    m = _COMPACT.fullmatch(s)
    if m:
        return _ymd(m.group(1), m.group(2), m.group(3), raw)
    m = _SLASH.fullmatch(s)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        month, day = (a, b) if a <= 12 else (b, a)  # month/day, as 2/5 is February 5
        return _ymd(m.group(3), str(month), str(day), raw, m.group(4), m.group(5))
    try:
        return _serial(float(s))
    except ValueError:
        raise Bad("bad_date", raw) from None


_MOBILE_RE: re.Pattern[str] | None = None


def _cn_mobile_pattern() -> re.Pattern[str]:
    """The CN mobile numbering plan from phonenumbers' own metadata (a fast exact path for most cells)."""
    global _MOBILE_RE
    if _MOBILE_RE is None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
        pattern = meta.mobile.national_number_pattern if meta and meta.mobile else r"(?!x)x"
        _MOBILE_RE = re.compile(pattern or r"(?!x)x")
    return _MOBILE_RE


def phone(value: Any, region: str) -> tuple[str | None, str | None]:
    """(E.164 or the cell as typed, the flag code when it is not a valid number)."""
    if isinstance(value, float) and value.is_integer():
        value = str(int(value))
    raw = text(value)
    if raw is None:
        return None, None
    if "@" in raw:
        return raw, "email_in_phone"
    if region == "CN":
        m = _CN_MOBILE.fullmatch(_PHONE_NOISE.sub("", raw))
        if m and _cn_mobile_pattern().fullmatch(m.group(1)):
            return "+86" + m.group(1), None
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw, "bad_phone"
    if not phonenumbers.is_valid_number(num):
        return raw, "bad_phone"
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), None


def email(value: Any) -> tuple[str | None, str | None]:
    """(the email lower-cased, or as typed with a flag when it is not one)."""
    raw = text(value)
    if raw is None:
        return None, None
    if _EMAIL.match(raw):
        return raw.lower(), None
    return raw, "bad_email"


def name_parts(name: str) -> tuple[str, str, str, str]:
    """A company name's key, merge key, the name as shown (spacing tidied) and that one's key."""
    key = name_key(name)
    shown = " ".join(name.split())
    return key, merge_key(key), shown, key if shown == name else name_key(shown)


def grade(value: Any) -> str | None:
    """A, B or C (also a, A类, B级); anything else is refused."""
    raw = text(value)
    if raw is None:
        return None
    m = _GRADE.fullmatch(raw.casefold())
    if not m:
        raise Bad("bad_grade", raw)
    return m.group(1).upper()


def is_done(value: Any) -> bool:
    """Whether a status cell says the follow-up was done."""
    raw = text(value)
    return raw is not None and raw.casefold() in _TRUE


_ACTIVITY_KINDS = {"visit": ("拜访", "面谈", "上门", "见面", "visit", "走访", "面访"),
                   "call": ("电话", "通话", "致电", "call", "phone", "微信语音"),
                   "email": ("邮件", "电邮", "email", "e-mail", "mail"),
                   "meeting": ("会议", "视频会议", "线上会议", "meeting", "演示", "demo"),
                   "note": ("备注", "微信", "短信", "note", "message", "wechat", "sms")}
_KIND_WORDS = {w: k for k, words in _ACTIVITY_KINDS.items() for w in words}


def activity_kind(value: Any) -> tuple[str, bool]:
    """(visit|call|email|meeting|note, whether the cell said it): unknown words become a note."""
    raw = text(value)
    if raw is None:
        return "note", True
    low = raw.casefold()
    if low in _KIND_WORDS:
        return _KIND_WORDS[low], True
    for word, kind in _KIND_WORDS.items():
        if word in low:
            return kind, True
    return "note", False


class Owners:
    """Owner cells matched to users by name, case and spacing aside, or by pinyin (Zhao Lei is 赵磊)."""

    def __init__(self, users: list[User]) -> None:
        self._exact: dict[str, list[User]] = {}
        self._pinyin: dict[str, list[User]] = {}
        for u in users:
            self._exact.setdefault(_plain(u.name), []).append(u)
            key = pinyin_key(u.name)
            if key:
                self._pinyin.setdefault(key, []).append(u)
        self._memo: dict[str, tuple[User | None, str | None]] = {}

    def match(self, name: str) -> tuple[User | None, str | None]:
        """(the user, None), or (None, 'unknown_owner' | 'ambiguous_owner')."""
        if name not in self._memo:
            self._memo[name] = self._match(name)
        return self._memo[name]

    def _match(self, name: str) -> tuple[User | None, str | None]:
        hits = self._exact.get(_plain(name), [])
        if not hits:
            words = name.split()
            for spelling in (name, " ".join(reversed(words))):
                hits = self._pinyin.get(pinyin_key(spelling), [])
                if hits:
                    break
        if len(hits) == 1:
            return hits[0], None
        return None, "ambiguous_owner" if hits else "unknown_owner"


def _plain(name: str) -> str:
    return "".join(name.casefold().split())
