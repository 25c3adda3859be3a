"""Texts in the reader's language. The English text is the message id; each other language is a gettext
catalog, `handlers/locale/<lang>/LC_MESSAGES/salesbot.po`, read with Babel. A third language (zh_TW, say)
is a new .po file, not code: `pybabel extract -F babel.cfg -o salesbot.pot .` lists the ids to translate.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "salesbot"
SOURCE_LANG = "en"


def N_(msgid: str) -> str:
    """Mark a text for translation where it is written; it is translated where it is shown."""
    return msgid


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text with a plural for translation where it is written (for `trn` where it is shown)."""
    return singular, plural


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages with a catalog, and English."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()) \
        if LOCALE_DIR.is_dir() else []
    return (SOURCE_LANG, *found)


def lang_of(code: str | None, default: str = SOURCE_LANG) -> str:
    """The catalog for a language code or locale (zh, zh-CN, zh_Hans_CN, en-US, zh-TW…), else `default`."""
    if not code:
        return default if default in languages() else SOURCE_LANG
    norm = code.replace("-", "_").lower()
    have = {lang.lower(): lang for lang in languages()}
    if norm in have:
        return have[norm]
    if norm.startswith("zh") and any(x in norm for x in ("_tw", "_hk", "_mo", "hant")) and "zh_tw" in have:
        return have["zh_tw"]
    base = norm.split("_", 1)[0]
    return have.get(base, default if default in languages() else SOURCE_LANG)


@functools.cache
def _catalog(lang: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == SOURCE_LANG or not path.is_file():
        return {}
    out: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    for fuzzy, ids, strings in _entries(path.read_text(encoding="utf-8")):
        if not ids or not ids[0] or fuzzy:
            continue
        key: str | tuple[str, str] = (ids[0], ids[1]) if len(ids) > 1 else ids[0]
        value: str | tuple[str, ...] = tuple(strings) if len(ids) > 1 else (strings[0] if strings else "")
        if value and (all(value) if isinstance(value, tuple) else True):
            out[key] = value
    return out


_PO_LINE = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt)\s+"(.*)"\s*$')
_PO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    if "\\" not in text:  # nearly every line: no escape to undo
        return text
    return re.sub(r"\\(.)", lambda m: _PO_ESCAPES.get(m.group(1), m.group(1)), text)


def _entries(text: str) -> list[tuple[bool, list[str], list[str]]]:
    """The (fuzzy, ids, strings) of each entry of a .po file: a small reader of what our catalogs hold (Babel's
    read_po takes a tenth of a second at every start-up; tests/core/test_catalogs.py reads them with Babel too)."""
    found: list[tuple[bool, list[str], list[str]]] = []
    fuzzy, ids, strings = False, list[str](), list[str]()
    current: list[str] | None = None
    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("#,")):
            if not line and ids:
                found.append((fuzzy, ids, strings))
                fuzzy, ids, strings, current = False, [], [], None
            continue
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
            continue
        match = _PO_LINE.match(line)
        if match:
            kind, value = match.group(1), _unquote(match.group(2))
            current = ids if kind.startswith("msgid") else strings if kind.startswith("msgstr") else None
            if current is not None:
                current.append(value)
        elif line.startswith('"') and line.endswith('"') and current is not None and current:
            current[-1] += _unquote(line[1:-1])
    return found


def gettext(lang: str, msgid: str) -> str:
    """The text of `msgid` in `lang` (the English id itself when there is no translation)."""
    found = _catalog(lang).get(msgid)
    return found if isinstance(found, str) else msgid


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    """The singular or plural text for `n`, in `lang` (Chinese has one form)."""
    found = _catalog(lang).get((singular, plural))
    if isinstance(found, tuple) and found:
        return found[0] if len(found) == 1 or n == 1 else found[1]
    return singular if n == 1 else plural


def tr(lang: str, msgid: str, /, **kw: object) -> str:
    """`msgid` in `lang`, filled in with `kw` (str.format)."""
    text = gettext(lang, msgid)
    return text.format(**kw)


def trn(lang: str, singular: str, plural: str, n: int, /, **kw: object) -> str:
    """The singular or plural text for `n` in `lang`, filled in with `n` and `kw`."""
    return ngettext(lang, singular, plural, n).format(n=n, **kw)
