"""Pinyin romanization of name keys: full syllables and initials, polyphonic characters read by phrase."""

from __future__ import annotations

from functools import cache
from typing import Any

from sales.names.chars import _HAN_RE, _PART_RE, _PLAIN_HAN_RE

_MAX_PHRASE = 6


@cache
def _dicts() -> tuple[dict[int, str], dict[str, list[list[str]]], Any]:
    """pypinyin's tables and tone stripper, loaded on first use (0.7 s: not at start-up)."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    return PINYIN_DICT, PHRASES_DICT, to_normal


@cache
def _toneless(syllable: str) -> str:
    """Tone marks removed (lǜ → lv)."""
    return str(_dicts()[2](syllable))


@cache
def _reading(char: str) -> tuple[str, bool] | None:
    """Default toneless reading of a Han character and whether it has others; None if not Han."""
    listed = _dicts()[0].get(ord(char))
    if not listed:
        return None
    readings = [_toneless(r) for r in listed.split(",")]
    return readings[0], len(set(readings)) > 1


@cache
def _clean(syllable: str) -> str:
    """A syllable as keys hold it: lower-case letters and digits only."""
    return "".join(ch for ch in syllable.lower() if ch.isalnum())


@cache
def _char_pinyin(char: str) -> tuple[str, bool]:
    """A character's cleaned default syllable (itself when not listed) and whether it has other readings."""
    r = _reading(char)
    return (_clean(r[0]), r[1]) if r is not None else (_clean(char), False)


@cache
def _phrase_pinyin(phrase: str) -> tuple[str, ...]:
    """Cleaned syllables of a listed phrase."""
    return tuple(_clean(_toneless(p[0])) for p in _dicts()[1][phrase])


@cache
def _phrase_prefixes() -> frozenset[str]:
    """Every beginning (two characters or more) of a listed phrase: the longest match stops where these do."""
    return frozenset(p[:k] for p in _dicts()[1] for k in range(2, min(len(p), _MAX_PHRASE) + 1))


def _han_pinyin(run: str) -> list[str]:
    """Cleaned syllables of a Han run; polyphonic characters read by forward longest phrase match (重庆, 银行)."""
    chars = [_char_pinyin(c) for c in run]
    if not any(poly for _, poly in chars):
        return [syl for syl, _ in chars]
    prefixes = _phrase_prefixes()
    phrases = _dicts()[1]
    out: list[str] = []
    i, n = 0, len(run)
    while i < n:
        size = 0
        for k in range(2, min(_MAX_PHRASE, n - i) + 1):
            piece = run[i : i + k]
            if piece not in prefixes:
                break
            phrase = phrases.get(piece)
            if phrase is not None and len(phrase) == k:
                size = k
        if size:
            out.extend(_phrase_pinyin(run[i : i + size]))
            i += size
        else:
            out.append(chars[i][0])
            i += 1
    return out


def romanize(key: str) -> tuple[str, str]:
    """Full pinyin and initials of a name key; other alphanumerics are kept whole in both."""
    if _PLAIN_HAN_RE.fullmatch(key):  # one Han run: syllables are non-empty or add nothing to either
        syllables = _han_pinyin(key)
        return "".join(syllables), "".join([s[:1] for s in syllables])
    py: list[str] = []
    ini: list[str] = []
    for part in _PART_RE.findall(key):
        if not _HAN_RE.match(part):
            py.append(part)
            ini.append(part)
            continue
        for clean in _han_pinyin(part):
            if clean:
                py.append(clean)
                ini.append(clean[0])
    return "".join(py), "".join(ini)
