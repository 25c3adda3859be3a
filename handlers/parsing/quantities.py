"""Quantities: a count with its unit (50台, 200套, 数量1000个, 30 units, 12 seats, 4 machines)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.parsing.text import ascii_re, mask, to_int


@dataclass(frozen=True, slots=True)
class Quantity:
    """A count of something wanted: the number, its unit as written, and its span."""

    count: int
    unit: str
    start: int
    end: int


_ZH_UNITS = (
    "台|套|件|个|箱|只|支|部|张|本|条|辆|份|盒|瓶|包|吨|公斤|千克|斤|组|把|片|颗|根|桶|袋|卷|架|座|副|双|对|枚|粒|托|"
    "柜|卡|樘|扇|平方米|平米|米"
)
_ZH_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d{1,9}(?:\.\d+)?(?:万|千)?|[一二两三四五六七八九十][一二两三四五六七八九十百千万零〇]{0,7})"
_ZH = ascii_re(r"(?<![\d.第几每数这那哪些万千百十零〇一二两三四五六七八九#])(?<!\d,)" + _ZH_NUMBER + r"\s*(" + _ZH_UNITS + ")")
# What follows a measure word when the count is of time, points or people, not of goods.
_ZH_NOT_AFTER = ascii_re(
    r"(?:月|星期|礼拜|工作日|小时|钟头|钟|季度|点|百分点|人|客户|问题|方案|项目|部门|阶段|版本|竞品|厂家|供应商|同事|原因|"
    r"需求|意见|建议|会议|电话|邮件|角|毛|钱|元|万|亿|周|天|年|城市|地方|门店|分公司|办事处|子公司|领导|人员)"
)
_EN_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
}
_EN = ascii_re(
    r"(?<![\w.,$€£¥#])(\d{1,3}(?:,\d{3})+|\d{1,9}|" + "|".join(_EN_NUMBER_WORDS) + r")\s*(?:x\s+)?"
    r"((?:more|additional|extra|new|used|spare)\s+)?([a-z][a-z-]{1,24})\b"
)
# Plural nouns after a number that count time, money, people or other things that are not goods.
_EN_NOT_UNITS = frozenset(
    ["days", "weeks", "months", "years", "hours", "minutes", "mins", "hrs", "seconds", "times", "percent", "pct", "points", "pts", "dollars", "bucks", "euros", "yuan", "people", "persons", "guys", "folks", "colleagues", "employees", "staff", "competitors", "vendors", "suppliers", "options", "questions", "issues", "meetings", "calls", "emails", "mails", "messages", "minutes", "stores", "sites", "locations", "offices", "branches", "cities", "countries", "customers", "clients", "companies", "teams", "departments", "reasons", "ways", "steps", "stages", "rounds", "versions", "quarters", "weekdays", "weekends", "am", "pm", "k", "m", "bn", "mn", "mil", "million", "billion", "thousand", "hundred", "percent", "of", "and", "or", "to", "in", "on", "at", "by", "for", "from", "with", "the", "a", "an", "more"]
)
_EN_UNITS_SINGULAR = frozenset(
    ["unit", "pc", "pcs", "piece", "set", "box", "machine", "device", "seat", "license", "licence", "user", "server", "laptop", "kit", "module", "carton", "item", "system", "robot", "printer", "pallet", "case", "truck", "container", "ton", "kg", "unit", "lot"]
)
_DEMAND = ascii_re(
    r"(要|需要|采购|订购|订了|订|买|购买|下单|意向|数量|共|一共|总共|need|needs|want|wants|order|ordered|buy|buying"
    r"|purchase|purchasing|for|of)\s*[:：]?\s*(?:大概|大约|约|about|around)?\s*$"
)


def _en_count(word: str) -> int | None:
    return int(word.replace(",", "")) if word[0].isdigit() else _EN_NUMBER_WORDS.get(word)


def quantities_in(text: str) -> list[Quantity]:
    """Every count of goods in normalized text, in text order."""
    text = mask(text)
    found: list[Quantity] = []
    for m in _ZH.finditer(text):
        number, unit = m.group(1), m.group(2)
        if _ZH_NOT_AFTER.match(text, m.end()):
            continue
        if unit == "个" and number in ("一", "1") and re.match(r"[\u4e00-\u9fff]", text[m.end() : m.end() + 1]):
            continue  # 一个客户: an article, not a count
        count = _zh_count(number)
        if count:
            found.append(Quantity(count, unit, m.start(), m.end()))
    for m in _EN.finditer(text):
        count, noun = _en_count(m.group(1)), m.group(3)
        if not count or noun in _EN_NOT_UNITS:
            continue
        if not (noun.endswith("s") or noun in _EN_UNITS_SINGULAR):
            continue
        found.append(Quantity(count, noun, m.start(), m.end()))
    return sorted(found, key=lambda q: q.start)


def _zh_count(number: str) -> int | None:
    if number.isascii():
        return None if "." in number else int(number.replace(",", ""))
    if number[-1] in "万千" and number[:-1].replace(".", "", 1).isdigit():
        value = float(number[:-1]) * (10_000 if number[-1] == "万" else 1000)
        return int(value) if value == int(value) else None
    return to_int(number)


def quantity_in(text: str) -> Quantity | None:
    """The count of goods in normalized text: the first one asked for (要50台), else the first."""
    found = quantities_in(text)
    masked = mask(text)
    for q in found:
        if _DEMAND.search(masked, max(0, q.start - 8), q.start):
            return q
    return found[0] if found else None
