"""The contact part of a card: lines cut at their labels, phones (E.164) and emails found in the pieces."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers

from sales.cards.types import Line
from sales.cards.vocab import HAN, LABEL_AGAIN_RE, LABEL_RE, SHORT_LABELS
from sales.customers import normalize_phone

_HAN_ONLY = re.compile(f"[{HAN}]+")
_LEAD = re.compile(r"^[^\w+(（]+")  # icons and bullets before a line's text (◆ ● ■ ·)
_TRAIL = re.compile(r"[^\w.,)）]+$")
_GLUED_CAPS = re.compile(r"(?<=[a-z])(?=[A-Z]{2,}\b)")  # AdamsHR: two words the OCR ran together
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_EMAIL_GAPS = re.compile(r"\s*([@.])\s*")
# A phone as printed: digits with the separators cards use, an optional + or 00 and bracketed country code.
_RUN = re.compile(r"(?:\+|\(\s*\+?)?\d[\d\s\-–—.()]{5,}\d")
_PIECES = re.compile(r"\s*(?:/|、|;|,|\s{3,}|转|轉|ext\.?|x(?=\s*\d))\s*", re.IGNORECASE)
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "B": "8"})
_LOOKALIKE_RUN = re.compile(r"[\d+(][\dOoDlI|B\s\-()]{6,}[\dOoDlI|B]")
_VALUE_KINDS = ("mobile", "phone", "fax", "email", "address", "web", "other")


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of one line: under a label (kind) or not (None), its text with the label cut off."""

    line: Line
    index: int  # the line's position, in reading order
    kind: str | None
    text: str
    label: str = ""  # the label as printed, to put back when the value is not what it announced

    def unlabeled(self) -> Piece:
        """This piece read as plain text, label included."""
        return Piece(self.line, self.index, None, f"{self.label}{self.text}".strip())


@dataclass(frozen=True, slots=True)
class Number:
    """A phone number found on the card, in E.164, with the kind its label or its numbering plan gives."""

    e164: str
    kind: str  # mobile, phone, fax
    labeled: bool
    piece: Piece


def clean(text: str) -> str:
    """NFKC (full-width colons, digits and letters become plain), single spaces, letter-spaced Han closed up."""
    text = unicodedata.normalize("NFKC", text)
    words = _GLUED_CAPS.sub(" ", _TRAIL.sub("", _LEAD.sub("", text))).split()
    out: list[str] = []
    for word in words:
        # 吴 思 远 is one name spaced out; 吴思远 运营总监 is two words.
        if out and _HAN_ONLY.fullmatch(word) and _HAN_ONLY.fullmatch(out[-1]) and min(len(word), len(out[-1])) == 1:
            out[-1] += word
        else:
            out.append(word)
    return " ".join(out)


def pieces(lines: Sequence[Line]) -> list[Piece]:
    """Every line cut at its labels ("手机：…  电话：…" is two pieces); the text before a first label is unlabeled."""
    out: list[Piece] = []
    for index, line in enumerate(lines):
        text = clean(line.text)
        marks = list(LABEL_RE.finditer(text))
        start, kind, label = 0, None, ""
        for m in marks:
            if m.start() < start:
                continue
            if m.start() > start or kind is not None:
                out.append(Piece(line, index, kind, text[start:m.start()].strip(), label))
            start, kind, label = m.end(), _kind(m), m.group(0)
            again = LABEL_AGAIN_RE.match(text, start)
            if again and _kind(again) == kind:  # 手机 Mob: … is one label in two languages
                start, label = again.end(), label + again.group(0)
        out.append(Piece(line, index, kind, text[start:].strip(), label))
    return [p for p in out if p.text or p.kind]


def _kind(m: re.Match[str]) -> str:
    """The field a label match announces."""
    if m.group("short"):
        return SHORT_LABELS.get(m.group("short"), SHORT_LABELS.get(m.group("short").upper(), "other"))
    return next(k for k in _VALUE_KINDS if m.group(k))


def emails(piece: Piece) -> list[str]:
    """The emails in a piece, lower-cased; under an email label, spaces around @ and dots are closed up."""
    text = _EMAIL_GAPS.sub(r"\1", piece.text) if piece.kind == "email" or "@" in piece.text else piece.text
    return [e.lower().rstrip(".") for e in _EMAIL.findall(text)]


def numbers(piece: Piece, region: str = "CN") -> list[Number]:
    """The valid phone numbers in a piece, each with its kind (a fax label, a mobile label or plan, else phone)."""
    if piece.kind in ("web", "other", "email") or "@" in piece.text:
        return []
    text = piece.text
    if piece.kind in ("mobile", "phone", "fax"):
        text = _LOOKALIKE_RUN.sub(lambda m: m.group(0).translate(_DIGIT_LOOKALIKES), text)
    found: list[Number] = []
    for part in _PIECES.split(text):
        for run in _RUN.findall(part):
            if sum(ch.isdigit() for ch in run) < 7:
                continue
            e164 = normalize_phone(run.replace("(", " ").replace(")", " "), region)
            if e164 is None:
                continue
            found.append(Number(e164, _number_kind(e164, piece.kind), piece.kind is not None, piece))
    return found


def _number_kind(e164: str, label: str | None) -> str:
    """fax under a fax label; mobile under a mobile label or on a mobile plan; else phone."""
    if label == "fax":
        return "fax"
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    if label == "mobile" and kind == phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE:
        return "mobile"
    return "phone"


def dialled(e164: str) -> str:
    """A landline as Chinese cards print it, area code and number (021-21535642, 400-820-8820); others in E.164."""
    num = phonenumbers.parse(e164)
    if num.country_code != 86:
        return e164
    digits = phonenumbers.national_significant_number(num)
    area = phonenumbers.length_of_geographical_area_code(num)
    if area:
        return f"0{digits[:area]}-{digits[area:]}"
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "-")


def leftover(piece: Piece) -> str:
    """A piece's text without its emails, phone numbers and web addresses: what may still be a name or title."""
    # What is cut out leaves a bar, so that the words on either side are never read as one.
    text = _EMAIL.sub(" | ", _EMAIL_GAPS.sub(r"\1", piece.text)) if "@" in piece.text else piece.text
    text = re.sub(r"(?:https?://|www\.)\S+", " | ", text, flags=re.IGNORECASE)
    text = _RUN.sub(lambda m: " | " if sum(ch.isdigit() for ch in m.group(0)) >= 7 else m.group(0), text)
    return clean(text).strip(" |")
