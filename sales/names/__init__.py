"""Company-name keys (normalized, pinyin, initials) and the duplicate rule (zh and en names)."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from types import ModuleType

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from sales.names.chars import _HAN_RE, _PART_RE, _PLAIN_HAN_RE
from sales.names.pinyin import romanize

_SPACE_CTRL_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_CN_SUFFIXES = ("股份有限公司", "有限责任公司", "有限責任公司", "股份公司", "有限公司", "公司")
_CN_ENDINGS = tuple((s, "分" + s) for s in _CN_SUFFIXES)  # a branch (分公司) keeps its ending
_LATIN_SUFFIXES = frozenset({"co", "company", "ltd", "limited", "inc", "incorporated", "llc", "llp", "plc",
                             "corp", "corporation", "gmbh", "pte", "pty"})


def _normalize(name: str) -> str:
    """NFKC and casefold, stable under repetition."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _strip_suffixes(parts: list[str]) -> list[str]:
    """Drop trailing legal-form words (Latin tokens, Chinese endings) until none is left."""
    while parts:
        last = parts[-1]
        if last in _LATIN_SUFFIXES:
            parts.pop()
            continue
        if not last.endswith("公司"):  # every Chinese ending ends so: the common case needs no scan
            break
        for suffix, branch in _CN_ENDINGS:
            if last.endswith(suffix) and not last.endswith(branch):
                cut = len(suffix)
                break
        else:
            break
        parts[-1] = last[:-cut]
        if not parts[-1]:
            parts.pop()
    return parts


def _raw_key(name: str) -> str:
    """One normalization pass; name_key iterates it to a fixpoint."""
    if _PLAIN_HAN_RE.fullmatch(name):
        # NFKC and casefold keep these characters, and they form a single part: the same result, sooner.
        return "".join(_strip_suffixes([name])) or name
    norm = _normalize(name)
    parts = _PART_RE.findall(norm)
    merged: list[str] = []
    for part in parts:
        # Spaces inside Chinese text carry no meaning: 华东 精密 is one word.
        if merged and _HAN_RE.match(part) and _HAN_RE.match(merged[-1]):
            merged[-1] += part
        else:
            merged.append(part)
    key = "".join(_strip_suffixes(list(merged)))
    return key or "".join(merged) or _SPACE_CTRL_RE.sub("", norm)


@functools.cache
def _zhconv() -> ModuleType:
    """zhconv, imported at its first use and without pkg_resources (a tenth of a second of CPU), which it only
    tries for opening its own dictionary: without it, it opens the file beside its module."""
    import _imp
    import json  # noqa: F401  (zhconv's own imports, loaded before the lock so that no import waits inside it)

    _imp.acquire_lock()  # no other thread imports meanwhile, so none finds pkg_resources missing
    try:
        hide = "pkg_resources" not in sys.modules
        if hide:
            sys.modules["pkg_resources"] = None  # type: ignore[assignment]
        try:
            import zhconv as module
        finally:
            if hide:
                del sys.modules["pkg_resources"]
    finally:
        _imp.release_lock()
    loaded: ModuleType = module
    return loaded


def simplified(text: str) -> str:
    """`text` with traditional Chinese characters as simplified ones (華東精密機械 → 华东精密机械)."""
    return text if text.isascii() else str(_zhconv().convert(text, "zh-hans"))


def name_key(name: str) -> str:
    """Comparison key: simplified characters, NFKC, casefolded, no spaces/punctuation, no legal-form suffix."""
    name = simplified(name)
    if _PLAIN_HAN_RE.fullmatch(name):  # one part, whose suffixes _raw_key strips to the end: already a fixpoint
        key = _raw_key(name)
        if key.isascii() or simplified(key) == key:
            return key
    key, again = "", _raw_key(name)
    # Joining parts can expose another suffix ("x in c" → "xinc"), NFKC another traditional character (a
    # compatibility ideograph); passes until nothing changes keep the key idempotent.
    for _ in range(8):
        if again == key:
            break
        key, again = again, _raw_key(simplified(again))
    return key


def pinyin_key(name: str) -> str:
    """Toneless full pinyin of name_key without separators (华东精密机械 → huadongjingmijixie)."""
    return romanize(name_key(name))[0]


def initials_key(name: str) -> str:
    """Pinyin initials of name_key (华东精密机械 → hdjmjx)."""
    return romanize(name_key(name))[1]


def same_company(a: str, b: str) -> bool:
    """The duplicate rule: equal up to spacing, punctuation, legal suffix, width or a small typo."""
    return same_company_keys(name_key(a), name_key(b))


def same_company_keys(ka: str, kb: str) -> bool:
    """same_company on two names' name_key values, computed earlier."""
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    if min(len(ka), len(kb)) >= 4 and Levenshtein.distance(ka, kb, score_cutoff=1) <= 1:
        return True
    if fuzz.ratio(ka, kb) >= 90:
        return True
    if bool(_HAN_RE.search(ka)) == bool(_HAN_RE.search(kb)):
        return False
    # A Chinese name and its pinyin spelling (华东精密 / Huadong Jingmi) are one company.
    pa, pb = romanize(ka)[0], romanize(kb)[0]
    return len(pa) >= 6 and pa == pb
