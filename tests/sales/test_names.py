"""Company names: keys (sales.names), pinyin (sales.names.pinyin), staged lookup and resolve (sales.names.index), the duplicate rule."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales.names import initials_key, name_key, pinyin_key, same_company
from sales.names.index import Candidate, NameIndex, resolve


def words(text: str) -> list[str]:
    """Space-separated words."""
    return text.split()


TARGET = "华东精密机械有限公司"
TARGET_ID = 424242
# No region is 华东, so huadong names the target alone; 华南/华北/华中 and 精密 make near misses.
REGIONS = words("北京 上海 广州 深圳 重庆 成都 武汉 杭州 南京 苏州 长沙 厦门 华南 华北 华中")
REGIONS += words("东方 江南 山东 广东 长江")
CORES = words("精密 恒通 宏达 鑫源 瑞丰 天成 博远 华信 金盛 永安 嘉禾 明德 创新 海天 联合")
CORES += words("新科 远大 中兴 凯达 汇通")
INDUSTRIES = words("机械 电子 科技 贸易 化工 建材 物流 医药 食品 纺织 汽车配件 软件 仪器 设备 包装")
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "公司", "")
EN_REGIONS = words("Pacific Atlantic Northern Global United Royal Golden Summit Pioneer Apex Delta Nova")
EN_CORES = words("Star Bridge Stone Wave Peak Gate Field Forge Link Crest Rock Cloud Hawk Eagle Oak Maple")
EN_INDUSTRIES = words("Technologies Trading Logistics Manufacturing Electronics Systems Foods Pharma")
EN_INDUSTRIES += ["Machinery"]
EN_SUFFIXES = ("Co., Ltd.", "Ltd", "Inc.", "LLC", "Corp", "GmbH", "Limited", "")


def company_names(n: int, seed: int = 11) -> list[str]:
    """n distinct realistic company names (region + core + industry + suffix), without TARGET."""
    rng = random.Random(seed)
    names: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    while len(names) < n:
        if rng.random() < 0.7:
            parts = (rng.choice(REGIONS), rng.choice(CORES), rng.choice(INDUSTRIES))
            name = "".join(parts) + rng.choice(SUFFIXES)
        else:
            parts = (rng.choice(EN_REGIONS), rng.choice(EN_CORES), rng.choice(EN_INDUSTRIES))
            name = f"{' '.join(parts)} {rng.choice(EN_SUFFIXES)}".strip()
        if parts not in seen:
            seen.add(parts)
            names.append(name)
    return names


OTHERS = company_names(5000)
_BIG: list[NameIndex] = []


def big_index() -> NameIndex:
    """The shared 5,001-name index (built once; tests that change an index build their own)."""
    if not _BIG:
        _BIG.append(NameIndex([*enumerate(OTHERS), (TARGET_ID, TARGET)]))
    return _BIG[0]


# --- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("华东精密机械有限公司", "华东精密机械"),
        ("华东精密机械股份有限公司", "华东精密机械"),
        ("华东精密机械有限责任公司", "华东精密机械"),
        ("华东精密机械公司", "华东精密机械"),
        ("华东 精密机械(有限公司)", "华东精密机械"),
        ("华东精密机械（有限公司）", "华东精密机械"),
        ("华东精密集团有限公司", "华东精密集团"),
        ("华东精密机械有限公司上海分公司", "华东精密机械有限公司上海分公司"),
        ("ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme Co Ltd", "acme"),
        ("ACME Limited", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme LLC", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme GmbH", "acme"),
        ("Pinco Ltd", "pinco"),
        ("3M中国有限公司", "3m中国"),
        ("Acme (Shanghai) Co., Ltd.", "acmeshanghai"),
    ],
)
def test_name_key(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize(("name", "key"), [("有限公司", "有限公司"), ("Ltd.", "ltd"), ("Co., Ltd.", "coltd"),
                                            ("公司", "公司"), ("!!!", "!!!"), ("😀", "😀")])
def test_name_key_never_empties_a_name(name: str, key: str) -> None:
    assert name_key(name) == key


def test_name_key_of_blank_is_empty() -> None:
    assert name_key("") == name_key(" \t\n") == ""


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("华东精密机械有限公司", "huadongjingmijixie", "hdjmjx"),
        ("华东 精密机械", "huadongjingmijixie", "hdjmjx"),
        ("重庆银行股份有限公司", "chongqingyinhang", "cqyh"),
        ("长沙重工", "changshazhonggong", "cszg"),
        ("成都都江堰旅游", "chengdudujiangyanlvyou", "cddjyly"),
        ("3M中国", "3mzhongguo", "3mzg"),
        ("Acme Ltd", "acme", "acme"),
    ],
)
def test_pinyin_and_initials(name: str, pinyin: str, initials: str) -> None:
    assert pinyin_key(name) == pinyin
    assert initials_key(name) == initials


def test_candidate_is_frozen() -> None:
    c = Candidate(1, "x", 90.0, "fuzzy")
    with pytest.raises(AttributeError):
        c.score = 1.0  # type: ignore[misc]
    assert not hasattr(c, "__dict__")


# --- the must-show queries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "how"),
    [("华东精密", "prefix"), ("华东 精密", "prefix"), ("huadong", "pinyin"), ("hdjm", "initials"),
     ("华冬精密", "pinyin"), ("华东精密机器", "fuzzy"), ("華東精密機械", "key")],
)
def test_target_found_first_and_resolved(query: str, how: str) -> None:
    cands = big_index().find(query)
    assert cands[0].id == TARGET_ID and cands[0].how == how
    picked = resolve(cands)
    assert picked is not None and picked.id == TARGET_ID


def test_huadong_ambiguous_when_several_huadong_names() -> None:
    index = NameIndex([*enumerate(OTHERS), (TARGET_ID, TARGET), (1_000_001, "华东电子科技有限公司"),
                       (1_000_002, "华东物流")])
    cands = index.find("huadong")
    assert TARGET_ID in {c.id for c in cands}
    assert resolve(cands) is None
    assert index.find("huadongjingmi")[0].id == TARGET_ID


def test_fuzzy_typo_in_chinese_picks_closest() -> None:
    index = NameIndex([(1, "华东精密机械有限公司"), (2, "华南精密机械有限公司"), (3, "上海机电")])
    cands = index.find("华东精密机器")
    assert [c.id for c in cands][:1] == [1] and cands[0].how == "fuzzy"
    assert resolve(cands) == cands[0]


def test_fuzzy_typo_in_english_and_pinyin() -> None:
    index = big_index()
    name = next(n for n in OTHERS if n.startswith("Pacific Star Foods"))
    cands = index.find("Pacifc Star Foods")
    assert cands[0].name == name and cands[0].how == "fuzzy"
    assert index.find("huadnog")[0].id == TARGET_ID


def test_a_word_left_out_still_finds_the_name() -> None:
    index = NameIndex([(1, "北京华信科技有限公司"), (2, "上海华信科技"), (3, "北京华信物流"),
                       (4, "Pacific Sun Foods Inc."), (5, "Pacific Sun Media")])
    assert resolve(index.find("北京科技")) == index.find("北京科技")[0]
    assert index.find("北京科技")[0].id == 1
    assert index.find("pacificfoods")[0].id == 4


def test_misses_find_nothing() -> None:
    index = big_index()
    for query in ("zzqqxx", "张三", "星云量子计算", "acme", "", "   ", "!!"):
        assert index.find(query) == []


def test_stages_exact_key_prefix_contains() -> None:
    index = NameIndex([(1, "Acme Ltd"), (2, "ACME Inc."), (3, "Acme Robotics"), (4, "上海华东精密机械")])
    exact = index.find("Acme Ltd")
    assert [(c.id, c.how) for c in exact] == [(1, "exact")] and resolve(exact) == exact[0]
    key = index.find("acme")
    assert {c.id for c in key} == {1, 2} and key[0].how == "key" and resolve(key) is None
    assert [(c.id, c.how) for c in index.find("acme rob")] == [(3, "prefix")]
    contains = index.find("精密机械")
    assert [(c.id, c.how) for c in contains] == [(4, "contains")]
    assert index.find("acme", limit=1)[0].id in {1, 2}
    assert index.find("acme", limit=0) == []


def test_prefix_hits_of_equal_standing_are_ambiguous() -> None:
    index = NameIndex([(1, "华东精密机械"), (2, "华东精密仪器"), (3, "北京华东")])
    cands = index.find("华东精密")
    assert {c.id for c in cands} == {1, 2} and resolve(cands) is None


# --- resolve ------------------------------------------------------------------------------------


def test_resolve_rules() -> None:
    a = Candidate(1, "a", 90.0, "fuzzy")
    b = Candidate(2, "b", 85.0, "fuzzy")
    c = Candidate(3, "c", 75.0, "fuzzy")
    assert resolve([]) is None
    assert resolve([b]) == b
    assert resolve([a, b]) is None
    assert resolve([a, c]) == a
    exact = Candidate(4, "d", 100.0, "exact")
    assert resolve([exact, Candidate(5, "e", 98.0, "key")]) == exact
    assert resolve([exact, Candidate(6, "d", 100.0, "exact")]) is None


# --- maintenance --------------------------------------------------------------------------------


def test_add_remove_and_rename() -> None:
    index = NameIndex(enumerate(OTHERS[:500]))
    assert index.find("hdjm") == []
    index.add(TARGET_ID, TARGET)
    assert index.find("hdjm")[0].id == TARGET_ID
    index.add(TARGET_ID, "华东精工")
    assert len(index) == 501
    assert index.find("华东精密机械") == []
    assert index.find("华东精工")[0].id == TARGET_ID
    index.remove(TARGET_ID)
    index.remove(TARGET_ID)
    assert index.find("华东精工") == [] and len(index) == 500


def test_many_adds_and_removes_keep_every_stage_right() -> None:
    names = company_names(6000, seed=3)
    index = NameIndex(enumerate(names[:1000]))
    for i in range(1000, 6000):
        index.add(i, names[i])
    for i in range(0, 3000):
        index.remove(i)
    assert len(index) == 3000
    for i in (3000, 4500, 5999):
        key = name_key(names[i])
        assert index.find(names[i])[0].id == i
        assert i in {c.id for c in index.find(key[:-1], limit=50)}
        assert i in {c.id for c in index.find(key[1:], limit=50)}
    for i in (0, 1500, 2999):
        assert i not in {c.id for c in index.find(names[i], limit=50)}


def test_from_keys_matches_a_built_index() -> None:
    names = [*OTHERS[:800], TARGET]
    rows = [(i, n, name_key(n), pinyin_key(n), initials_key(n)) for i, n in enumerate(names)]
    built, loaded = NameIndex(enumerate(names)), NameIndex.from_keys(rows)
    for query in ("华东精密", "huadong", "hdjm", "华冬精密", "华东精密机器", "Pacific", "精密"):
        assert built.find(query) == loaded.find(query)


# --- duplicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("华东精密机械有限公司", "华东精密机械", True),
        ("华东精密机械", "华东 精密机械(有限公司)", True),
        ("华东精密机械有限公司", "华东 精密机械(有限公司)", True),
        ("华东精密机械有限公司", "华东精密机戒有限公司", True),
        ("华东精密", "华南精密", True),  # one character in four: shown to the user, who decides
        ("华东科技", "上海机电", False),
        ("华东精密", "华东精密机械制造", False),
        ("Acme Co., Ltd.", "ACME Ltd", True),
        ("Acme Co., Ltd.", "ＡＣＭＥ　Ｌｔｄ．", True),
        ("Pacific Star Trading", "Pacific Star Tradng Ltd", True),
        ("Acme", "Apex", False),
        ("华东精密机械", "Huadong Jingmi Jixie Co., Ltd.", True),
        ("华为", "华美", False),
        ("", "", False),
    ],
)
def test_same_company(a: str, b: str, same: bool) -> None:
    assert same_company(a, b) is same
    assert same_company(b, a) is same


# --- properties ---------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    ["华东", "精密", "有限公司", "股份", "公司", "分", "集团", " ", "(", "）", "Ｃｏ．", "Co.,", "Ltd", "Inc",
     "in", "c", "LLC", "😀", "\x00", "\u200b", "ß", "ǰ", "İ", "ﬃ", "\u0301", "\U00020000", "长", "重庆"]
)
_TEXT = st.one_of(
    st.text(),
    st.lists(_PIECES | st.text(max_size=3), max_size=12).map("".join),
    st.text(min_size=1, max_size=8).map(lambda s: (s * 10_000)[:10_000]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_name_key_is_idempotent_and_total(name: str) -> None:
    key = name_key(name)
    assert name_key(key) == key
    pinyin_key(name)
    initials_key(name)
    if name.strip() and any(c.isalnum() for c in name):
        assert key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.integers(min_value=0, max_value=8))
def test_find_never_raises(query: str, limit: int) -> None:
    cands = big_index().find(query, limit)
    assert len(cands) <= limit
    assert all(0 <= c.score <= 100 for c in cands)
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    resolve(cands)


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_same_company_never_raises_and_is_symmetric(a: str, b: str) -> None:
    assert same_company(a, b) == same_company(b, a)
    assert same_company(a, a) == bool(name_key(a))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT.filter(lambda s: bool(s.strip())), min_size=1, max_size=15, unique_by=str.strip))
def test_a_name_finds_itself_first(names: list[str]) -> None:
    index = NameIndex(enumerate(names))
    for i, name in enumerate(names):
        assert index.find(name)[0].id == i
