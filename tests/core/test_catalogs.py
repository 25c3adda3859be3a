"""Every text the code can show has its translation in every catalog, and each language reads as itself."""

from __future__ import annotations

import ast
import re
import string
from functools import cache

import pytest

from handlers import i18n
from tests.conftest import ROOT

# How the code marks its texts: the (1-based) arguments that are English message ids.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "say": (1,), "t": (1,), "notify": (2,), "tn": (1, 2), "tr": (2,), "trn": (2, 3), "N_": (1,), "NP_": (1, 2),
    "command": (2, 3), "_text": (2,), "_t": (2,), "_section": (2,),
}
CJK = re.compile(r"[\u3400-\u9fff]")
# Product words a Chinese reader must never see in English (stage keys, record names, statuses).
ENGLISH_PRODUCT_WORDS = re.compile(
    r"\b(prospect|qualified|proposal|negotiation|won|lost|customer|customers|deal|deals|quote|quotes|lead|leads|"
    r"visit|visits|follow-?ups?|pending|approved|rejected|cancelled|overdue|rows?|receivables?|installments?|"
    r"order|orders|payment|payments|target|digest|source|owner|stage|grade|activities|rejected rows)\b", re.I)
# What a Chinese text may show in English: commands and their arguments as typed, code, names of formats.
ALLOWED_IN_ZH = re.compile(r"`[^`]*`|/[a-z][^\n，。、；（）：]*|\{\w+\}|https?://\S+|[A-Z]{2,}\b|"
                           r"\b(MQL|SQL|CSV|Excel|xlsx|PDF|ID|OK)\b")


@cache
def extracted() -> dict[str, list[str]]:
    """Every message id in handlers/ and bot/, with where it is written: the string arguments at the KEYWORDS'
    positions of every call, nested calls included (Babel's own extractor skips a call inside another's
    arguments, such as a button label inside ctx.say)."""
    found: dict[str, list[str]] = {}
    for floor in ("handlers", "bot"):
        for path in sorted((ROOT / floor).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                for position in KEYWORDS.get(name) or ():
                    arg = node.args[position - 1] if len(node.args) >= position else None
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                        found.setdefault(arg.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def shown(lang: str, msgid: str) -> str:
    """A text as a reader of `lang` sees it, filled in with sample values (plural texts for 3)."""
    for key in i18n._catalog(lang):
        if isinstance(key, tuple) and msgid in key:
            return i18n.trn(lang, key[0], key[1], 3, **{k: v for k, v in sample(msgid).items() if k != "n"})
    return i18n.tr(lang, msgid, **sample(msgid))


def sample(msgid: str) -> dict[str, object]:
    """Sample values for every {field} of a text."""
    names = {f for _, f, _, _ in string.Formatter().parse(msgid) if f}
    return {n: 3 for n in names}


def test_the_extraction_finds_the_texts() -> None:
    found = extracted()
    assert len(found) > 400, len(found)
    assert "Sorry, something went wrong and nothing was saved. Please try again." in found


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != i18n.SOURCE_LANG])
def test_every_text_is_translated(lang: str) -> None:
    catalog = i18n._catalog(lang)
    missing = sorted(m for m in extracted() if m not in catalog and not any(
        isinstance(k, tuple) and m in k for k in catalog))
    assert not missing, f"{len(missing)} texts have no {lang} translation, e.g.:\n" + "\n".join(
        f"{m!r}  ({extracted()[m][0]})" for m in missing[:40])


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != i18n.SOURCE_LANG])
def test_every_translation_fills_in_like_its_english(lang: str) -> None:
    for msgid in extracted():
        values = sample(msgid)
        english = msgid.format(**values)
        translated = shown(lang, msgid)
        assert translated, msgid
        if CJK.search(translated) is None and lang.startswith("zh"):
            assert not ENGLISH_PRODUCT_WORDS.search(ALLOWED_IN_ZH.sub("", translated)), (msgid, translated)
        assert english  # the English fills in too


def test_english_texts_have_no_chinese() -> None:
    chinese = [m for m in extracted() if CJK.search(m) and not re.search(r"e\.g\.|例如|八五折|85折", m)]
    assert not chinese, chinese[:10]


def test_chinese_texts_carry_no_english_product_words() -> None:
    offending = []
    for msgid in extracted():
        zh = shown("zh", msgid)
        if ENGLISH_PRODUCT_WORDS.search(ALLOWED_IN_ZH.sub("", zh)):
            offending.append((msgid, zh))
    assert not offending, "\n".join(f"{m!r} → {z!r}" for m, z in offending[:30])


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != i18n.SOURCE_LANG])
def test_no_catalog_keeps_texts_the_code_no_longer_shows(lang: str) -> None:
    used = set(extracted())
    stale = [k for k in i18n._catalog(lang) if (k[0] if isinstance(k, tuple) else k) not in used]
    assert not stale, f"{len(stale)} {lang} entries are not used by the code any more: {stale[:5]}"
