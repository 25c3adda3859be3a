"""From the lines of a card to its fields: pure, by the conventions business cards follow (zh, en, both)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from sales.cards import vocab
from sales.cards.contacts import Number, Piece, clean, dialled, emails, leftover, numbers, pieces
from sales.cards.types import CardFields, CardReading, Line, NotACard

_SPLIT = re.compile(r"\s*(?:[|｜丨/•·]|\s-\s)\s*")
_LATIN_WORD = re.compile(r"^(?:[A-Z][A-Za-z'’\-]*\.?|[A-Z]\.|Mc[A-Z][a-z]+|(?:van|von|de|da|di|del|der|le|la|bin|al)\b)$")
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+", re.IGNORECASE)
_HAN_NAME = re.compile(f"[{vocab.HAN}]{{2,4}}")
_MONEY = re.compile(r"\d+\.\d{2}(?!\d)")
_CLOCK = re.compile(r"(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)")
_RECEIPT = re.compile(
    r"合计|总计|小计|实收|找零|应收|应付|收银|单价|数量|金额|优惠|发票|流水号|订单号|"
    r"\b(?:total|subtotal|change|cash|qty|amount|receipt|vat|balance|invoice)\b",
    re.IGNORECASE,
)
_PROSE_END = re.compile(f"[。！？!?…]$|[{vocab.HAN}].{{4,}}[，,；;].{{4,}}")  # a sentence, not an address
_DEPARTMENT_FIRST = re.compile(
    f"[{vocab.HAN}]{{1,8}}?(?:部|中心|事业部)\\s*(?=[{vocab.HAN}])"
    r"|(?:[\w&.\-]+\s+){0,4}?(?:Department|Dept\.?|Division|Center|Centre)\s+(?=\w)",
    re.IGNORECASE,
)
_STRAY_LETTER = re.compile(f"(?<=[{vocab.HAN}])\\s?[A-Za-z]$")  # 财务总监g: a speck read as a letter
_ACRONYMS = frozenset(("ceo", "cto", "cfo", "coo", "cmo", "cio", "cpo", "cso", "vp", "svp", "evp", "gm", "hr", "r&d"))
# Title words that are also family names (Emily Head, John Lead) do not stop a name.
_NOT_IN_NAMES = (vocab.TITLE_EN_WORDS - {"head", "lead", "partner", "owner", "buyer", "chief", "agent"}) | (
    vocab.COMPANY_EN_STRONG | vocab.STREET_WORDS)
_GLUED_TITLE = re.compile(r"(?<=[a-z])([a-z])([A-Z][a-z]+)")
MAX_LINES = 40


@dataclass(frozen=True, slots=True)
class _Part:
    """A stretch of free text (no label, no phone, no email) that may be a company, name, title or address."""

    text: str
    piece: Piece
    whole: bool  # all the text between two separators, not a word of it

    @property
    def han(self) -> bool:
        return bool(vocab.HAN_RE.search(self.text))


def read_lines(lines: Sequence[Line], region: str = "CN") -> CardReading | NotACard:
    """The card these lines show, or why they are not a card."""
    if not lines:
        return NotACard("no_text")
    if len(lines) > MAX_LINES:
        return NotACard("too_much_text")
    texts = [clean(line.text) for line in lines]
    if sum(bool(_MONEY.search(t)) for t in texts) >= 3 or sum(bool(_RECEIPT.search(t)) for t in texts) >= 2:
        return NotACard("receipt")
    if sum(bool(_PROSE_END.search(t)) for t in texts) >= 3 or sum(bool(_CLOCK.search(t)) for t in texts) >= 3:
        return NotACard("prose")
    fields, used = extract(lines, region)
    if not (fields.mobile or fields.phone or fields.email):
        return NotACard("no_contact")
    if not (fields.person or fields.company):
        return NotACard("no_name")
    found = sum(1 for v in (fields.company, fields.person, fields.title, fields.mobile or fields.phone, fields.email)
                if v)
    sure = statistics.fmean(line.score for line in used) if used else 0.0
    return CardReading(fields=fields, lines=tuple(lines), confidence=round(sure * found / 5, 3))


def extract(lines: Sequence[Line], region: str = "CN") -> tuple[CardFields, list[Line]]:
    """The fields read from the lines, and the lines they came from."""
    all_pieces = pieces(lines)
    mails: list[tuple[str, Piece]] = []
    phones: list[Number] = []
    free: list[Piece] = []
    labeled_addresses: list[Piece] = []
    for piece in all_pieces:
        found_mails, found_numbers = emails(piece), numbers(piece, region)
        mails += [(m, piece) for m in found_mails]
        phones += found_numbers
        if piece.kind == "address" and _address_value(piece.text):
            labeled_addresses.append(piece)
        elif piece.kind is None or (not found_mails and not found_numbers and piece.kind in ("mobile", "phone", "email")):
            rest = leftover(piece if piece.kind is None else piece.unlabeled())
            if rest:
                free.append(Piece(piece.line, piece.index, None, rest))
    parts = _parts(free)
    heights = [line.height for line in lines]
    tall = max(statistics.median(heights) if heights else 1.0, 1.0)

    company = _company(parts)
    person = _person(parts, company, tall)
    title = _title(parts, person, company)
    address = _address(labeled_addresses, parts, lines, {id(p) for p in (company, person, title) if p},
                       prefer_han=bool(person and person.han) or bool(company and company.han))
    mobile = next((n for n in phones if n.kind == "mobile" and n.labeled), None) or next(
        (n for n in phones if n.kind == "mobile"), None)
    phone = next((n for n in phones if n.kind == "phone" and n.labeled), None) or next(
        (n for n in phones if n.kind == "phone"), None)
    email = mails[0] if mails else None
    used = [p.piece.line for p in (company, person, title) if p] + [n.piece.line for n in (mobile, phone) if n]
    used += [email[1].line] if email else []
    fields = CardFields(
        company=company.text if company else None,
        person=_HONORIFIC.sub("", person.text) if person else None,
        title=_without_department(title.text) if title else None,
        mobile=mobile.e164 if mobile else None,
        phone=dialled(phone.e164) if phone else None,
        email=email[0] if email else None,
        address=address[0] if address else None,
    )
    return fields, used + (address[1] if address else [])


def _parts(free: list[Piece]) -> list[_Part]:
    """Each free piece cut at separators (whole parts), and those cut again where scripts change and between
    Han words ("张伟 Zhang Wei", "吴思远 运营总监")."""
    out: list[_Part] = []
    for piece in free:
        for chunk in (c for c in _SPLIT.split(piece.text) if c):
            out.append(_Part(chunk, piece, True))
            split = [s for part in _by_script(chunk) for s in _name_then_title(part)]
            if len(split) > 1:
                out += [_Part(s, piece, False) for s in split]
    return out


def _by_script(text: str) -> list[str]:
    """Split at spaces between Han words, and where Han meets Latin ("张伟 Zhang Wei")."""
    words = text.split(" ")
    groups: list[str] = []
    for word in words:
        if groups and not vocab.HAN_RE.search(word) and not vocab.HAN_RE.search(groups[-1]):
            groups[-1] += " " + word
        else:
            groups.append(word)
    return groups


def _name_then_title(text: str) -> list[str]:
    """A Latin name followed by a title on one line ("Laura Taylor Marketing Director") as two parts; also a name
    followed by a misread lower-case word ("Edward Cooper cro")."""
    words = _GLUED_TITLE.sub(_unglue, text).split()
    for cut in (2, 3):
        if len(words) > cut and _latin_name(" ".join(words[:cut])):
            rest = " ".join(words[cut:])
            if _title_score(rest) or (len(words) == cut + 1 and rest.islower() and len(rest) <= 4):
                return [" ".join(words[:cut]), rest]
    return [text]


def _unglue(m: re.Match[str]) -> str:
    """WalkerManaging → Walker Managing, when the second word is a title's (McDonald stays whole)."""
    word = m.group(2)
    if word.casefold() in vocab.TITLE_EN_WORDS or word.casefold() in vocab.TITLE_FIELD_EN_WORDS:
        return f"{m.group(1)} {word}"
    return m.group(0)


def _company_score(part: _Part) -> int:
    """3 for a legal form (有限公司, Co., Ltd.), 2 for an organisation word (研究院, Group), else 0."""
    text = part.text
    if any(ch.isdigit() for ch in text) and not vocab.COMPANY_ZH_STRONG_RE.search(text):
        return 0
    if part.han:
        if len(vocab.COMPANY_ZH_STRONG_RE.sub("", text)) < 2:
            return 0  # a legal form alone (公司) names nobody
        if vocab.COMPANY_ZH_STRONG_RE.search(text):
            return 3 + bool(vocab.COMPANY_ZH_END_RE.search(text))
        return 2 if len(text) >= 4 and vocab.COMPANY_ZH_END_RE.search(text) else 0
    words = [w.casefold().strip(".,()") for w in re.split(r"[\s,]+", text) if w]
    if not any(w not in vocab.COMPANY_EN_WORDS for w in words):
        return 0
    if any(w in vocab.COMPANY_EN_STRONG for w in words):
        return 3 + (words[-1] in vocab.COMPANY_EN_STRONG)
    return 2 if any(w in vocab.COMPANY_EN_WORDS for w in words) and not _title_score(text) else 0


def _company(parts: list[_Part]) -> _Part | None:
    """The company: a legal form wins, Han over Latin (a bilingual card's Chinese name), then the largest."""
    scored = [(s, p) for p in parts if p.whole and (s := _company_score(p)) > 0]
    if not scored:
        scored = [(s, p) for p in parts if (s := _company_score(p)) > 0]
    if not scored:
        return None
    return max(scored, key=lambda sp: (sp[0] >= 3, sp[1].han, sp[0], sp[1].piece.line.height))[1]


def _han_name(text: str) -> int:
    """2 for a Chinese name with a known surname, 1 for one without, 0 for not a name."""
    if not _HAN_NAME.fullmatch(text) or _title_score(text) or vocab.COMPANY_ZH_END_RE.search(text):
        return 0
    if vocab.DEPARTMENT_RE.search(text) or vocab.ADDRESS_ZH_STRONG_RE.search(text):
        return 0
    if text[:2] in vocab.SURNAMES_COMPOUND or (text[0] in vocab.SURNAMES and len(text) <= 3):
        return 2
    return 1


def _latin_name(text: str) -> int:
    """2 for a Latin name of two to four capitalised words that are no title, company or address word."""
    text = _HONORIFIC.sub("", text)
    words = text.split()
    if not 2 <= len(words) <= 4 or vocab.NOT_A_NAME_RE.search(text) or sum(ch.isalpha() for ch in text) < 4:
        return 0
    if not all(_LATIN_WORD.match(w) for w in words):
        return 0
    folded = {w.casefold().strip(".,") for w in words}
    if folded & _NOT_IN_NAMES or folded <= vocab.TITLE_EN_WORDS | vocab.COMPANY_EN_WORDS | vocab.ADDRESS_EN_WORDS:
        return 0
    return 2


def _person(parts: list[_Part], company: _Part | None, tall: float) -> _Part | None:
    """The person: name-shaped, not part of the company's name (a logo's short name), the largest type first."""
    best: tuple[float, _Part] | None = None
    squeezed = re.sub(r"\s", "", company.text).casefold() if company else ""
    for part in parts:
        if part is company:
            continue
        shape = _han_name(part.text) if part.han else _latin_name(part.text)
        if not shape or (squeezed and re.sub(r"\s", "", part.text).casefold() in squeezed):
            continue
        score = shape + min(part.piece.line.height / tall, 3.0) + (0.5 if part.han else 0.0)
        if best is None or score > best[0]:
            best = (score, part)
    return best[1] if best else None


def _title_score(text: str) -> int:
    """2 for a role (经理, Director), 1 for a department alone (销售部, Sales Department), else 0."""
    if any(ch.isdigit() for ch in text) or "@" in text:
        return 0
    if vocab.HAN_RE.search(text):
        if len(text) <= 8 and vocab.DEPARTMENT_RE.search(text):
            return 1  # 采购部: a department, though 采购 alone may be a role
        if len(text) > 14 or vocab.COMPANY_ZH_STRONG_RE.search(text) or not vocab.TITLE_ZH_RE.search(text):
            return 0
        return 2
    words = [w.casefold().strip(".,&()") for w in text.split()]
    words = [w for w in words if w]
    if not words or len(words) > 7 or any(w in vocab.COMPANY_EN_STRONG for w in words):
        return 0
    other = [w for w in words if w not in vocab.TITLE_EN_WORDS and w not in vocab.TITLE_FIELD_EN_WORDS]
    if len(other) > 1:
        return 0  # "Your partner in growth" is a slogan that holds a title word, not a title
    if any(w in vocab.TITLE_ROLE_EN_WORDS for w in words):
        return 2
    if vocab.DEPARTMENT_RE.search(text) or any(w in vocab.TITLE_EN_WORDS for w in words):
        return 1
    return 0


def _title(parts: list[_Part], person: _Part | None, company: _Part | None) -> _Part | None:
    """The title: a role over a department, the person's script, then the nearest to the person."""
    best: tuple[tuple[float, ...], _Part] | None = None
    for part in parts:
        if part is person or part is company or (person and part.text == person.text):
            continue
        score = _title_score(part.text)
        if not score:
            continue
        same_script = person is None or part.han == person.han
        near = -_distance(part.piece.line, person.piece.line) if person else -part.piece.line.box[1]
        key = (score, same_script, near, not part.whole)
        if best is None or key > best[0]:
            best = (key, part)
    return best[1] if best else None


def _without_department(title: str) -> str:
    """A role without the department printed before it (市场部采购总监 → 采购总监), when a role remains."""
    title = _STRAY_LETTER.sub("", title)
    m = _DEPARTMENT_FIRST.match(title)
    rest = title[m.end():].strip() if m else ""
    # 市场部经理 and Sales Department Manager are one title; 市场部 采购总监 is a department and a title.
    whole_role = len(rest) >= 4 if vocab.HAN_RE.search(rest) else " " in rest or rest.casefold() in _ACRONYMS
    if rest and _title_score(rest) == 2 and whole_role:
        title = rest
    return " ".join(w.upper() if w.casefold() in _ACRONYMS else w for w in title.split(" "))


def _distance(a: Line, b: Line) -> float:
    """How far apart two lines are, in multiples of the second's height (the same line is 0)."""
    if a is b:
        return 0.0
    scale = max(b.height, 1.0)
    dy = abs(a.middle - b.middle) / scale
    dx = max(a.box[0] - b.box[2], b.box[0] - a.box[2], 0.0) / scale
    return dy + dx / 4


def _address_value(text: str) -> bool:
    """Whether a labeled address holds something (not a stray word after the label)."""
    return len(text) >= 4 and (bool(vocab.HAN_RE.search(text)) or any(ch.isdigit() for ch in text) or " " in text)


def _address_score(text: str) -> int:
    """How much a free text looks like an address: street words, numbers, districts."""
    if vocab.HAN_RE.search(text):
        if vocab.COMPANY_ZH_STRONG_RE.search(text) and not re.search(r"\d", text):
            return 0
        return 2 * bool(vocab.ADDRESS_ZH_STRONG_RE.search(text)) + (len(vocab.ADDRESS_ZH_RE.findall(text)) >= 2)
    words = [w.casefold().strip(",") for w in text.split()]
    hits = sum(w in vocab.ADDRESS_EN_WORDS for w in words)
    return 2 * (hits >= 2 or (hits >= 1 and any(ch.isdigit() for ch in text))) + (hits >= 1)


def _address(labeled: list[Piece], parts: list[_Part], lines: Sequence[Line], taken: set[int],
             prefer_han: bool) -> tuple[str, list[Line]] | None:
    """The address: under its label (with a wrapped next line), else the most address-like free text."""
    options = [(p.text, p.index, p.line) for p in labeled]
    if not options:
        options = [(p.text, p.piece.index, p.piece.line) for p in parts
                   if p.whole and id(p) not in taken and _address_score(p.text) >= 2]
    if not options:
        return None
    han = [o for o in options if vocab.HAN_RE.search(o[0])]
    text, index, line = (han or options)[0] if prefer_han else options[0]
    used = [line]
    after = [p for p in parts if p.whole and p.piece.index > index and id(p) not in taken and _wraps(line, p)]
    if after:
        joiner = "" if vocab.HAN_RE.search(text[-1:]) else " "
        text, used = text + joiner + after[0].text, [line, after[0].piece.line]
    return text, used


def _wraps(line: Line, nxt: _Part) -> bool:
    """Whether a line continues an address: just below it, overlapping it, no taller, and address-like."""
    below = nxt.piece.line
    gap = below.box[1] - line.box[3]
    overlaps = below.box[0] < line.box[2] and line.box[0] < below.box[2]
    similar = below.height <= line.height * 1.25
    if bool(vocab.HAN_RE.search(nxt.text)) != bool(vocab.HAN_RE.search(line.text)):
        return False  # a bilingual card's address in the other language, not the rest of this one
    return -0.2 * line.height <= gap < line.height * 0.8 and overlaps and similar and _address_score(nxt.text) >= 1
