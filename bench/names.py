"""Benchmark sales.names.index.NameIndex over 100,000 generated company names (run: python bench/names.py)."""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sales.names import initials_key, name_key, pinyin_key
from sales.names.index import NameIndex, resolve


def words(text: str) -> list[str]:
    """Space-separated words."""
    return text.split()


TARGET = "华东精密机械有限公司"
FIVE = ("华东精密", "华东 精密", "huadong", "hdjm", "华冬精密")
# 华东 is left out of the regions so that huadong names one company only.
REGIONS = words("北京 上海 广州 深圳 天津 重庆 成都 武汉 杭州 南京")
REGIONS += words("苏州 西安 长沙 郑州 青岛 厦门 宁波 无锡 合肥 福州")
REGIONS += words("济南 大连 沈阳 昆明 南昌 华南 华北 华中 西南 东方")
REGIONS += words("中科 江南 浙江 江苏 山东 广东 长江 东莞 佛山 珠海")
CORES = words("精密 恒通 宏达 鑫源 瑞丰 天成 博远 华信 金盛 永安")
CORES += words("嘉禾 明德 创新 海天 联合 新科 远大 中兴 凯达 汇通")
CORES += words("盛世 鼎盛 荣华 兴业 国泰 华美 百川 万达 宝丰 银河")
CORES += words("星辰 正泰 长城 安信 德邦 富源 光明 海纳 佳美 锦程")
CORES += words("君和 坤元 蓝天 立信 龙腾 茂源 南洋 普华 启航 乾元")
CORES += words("群英 润泽 三元 顺达 泰和 同创 伟业 信达 雅居 重工")
CORES += words("智联 云帆 卓越 晨光 大地 东升 飞跃 广源 和信 宏图")
CORES += words("华通 金桥 巨力 凯旋 利民 隆基 美达 宁远 鹏程 祥和")
INDUSTRIES = words("机械 电子 科技 贸易 化工 建材 物流 医药 食品")
INDUSTRIES += words("纺织 汽车配件 软件 网络 传媒 能源 环保 材料 设备")
INDUSTRIES += words("仪器 包装 服饰 家具 电器 光电")
INDUSTRIES += words("通信 建设 工程 咨询 投资 农业")
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "公司", "")
EN_REGIONS = words("Pacific Atlantic Northern Southern Eastern Western")
EN_REGIONS += words("Global United Royal Golden Silver Blue")
EN_REGIONS += words("Green Red Summit Pioneer Apex Prime Delta")
EN_REGIONS += words("Omega Alpha Beta Nova Vertex Zenith Horizon Harbor")
EN_REGIONS += words("River Lake Mountain")
EN_CORES = words("Star Bridge Stone Wave Peak Point Path Gate")
EN_CORES += words("Field Wood Light Forge Works Labs Link Line Port")
EN_CORES += words("Crest Rock Leaf Tree Cloud Sky Sun Moon Fox")
EN_CORES += words("Wolf Bear Hawk Lion Eagle Falcon Tiger Crane Swan")
EN_CORES += words("Oak Pine Maple Cedar Birch Arrow Anchor Beacon")
EN_CORES += words("Compass Crown Echo Ember Flint Grove Haven Iris")
EN_CORES += words("Jade Keystone Lotus Mesa North Orbit Quartz Ridge Sage")
EN_INDUSTRIES = words("Technologies Trading Logistics Manufacturing Electronics Systems Solutions Industries")
EN_INDUSTRIES += words("Materials Foods Pharma Textiles Machinery")
EN_INDUSTRIES += words("Software Media Energy Consulting Engineering")
EN_INDUSTRIES += words("Capital Holdings Devices Instruments Packaging Motors Chemicals")
EN_SUFFIXES = ("Co., Ltd.", "Ltd", "Inc.", "LLC", "Corp", "Corporation", "GmbH", "Limited", "Co Ltd", "")
RARE = "零壹贰叁肆伍陆柒捌玖拾佰仟"  # in no generated name
ZH_TYPO = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会"


def generate(n: int, seed: int = 7) -> list[str]:
    """n distinct company names (70% Chinese), deterministic for a seed, TARGET included."""
    rng = random.Random(seed)
    names, seen = [TARGET], {("华东", "精密", "机械")}
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
    rng.shuffle(names)
    return names


def timed(fn: Callable[[], object]) -> float:
    """Wall time of one call in milliseconds."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def p99(values: list[float]) -> float:
    """99th percentile."""
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def row(label: str, times: list[float], note: str = "") -> None:
    """One line of the report."""
    print(f"{label:<24}{statistics.median(times):>10.2f}{p99(times):>9.2f}  {note}")


def typo(rng: random.Random, key: str) -> str:
    """The key with one character replaced."""
    i = rng.randrange(len(key))
    return key[:i] + rng.choice(ZH_TYPO if not key.isascii() else "abcdefghijklmnopqrstuvwxyz") + key[i + 1 :]


def main() -> None:
    """Build, query, compare with a plain extractOne over the same keys, print."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="5,000 names: seconds")
    names = generate(5_000 if ap.parse_args().small else 100_000)
    start = time.perf_counter()
    index = NameIndex(enumerate(names))
    build = time.perf_counter() - start
    keys = [name_key(n) for n in names]
    rows = [(i, n, name_key(n), pinyin_key(n), initials_key(n)) for i, n in enumerate(names)]
    start = time.perf_counter()
    NameIndex.from_keys(rows)
    reload = time.perf_counter() - start
    print(f"{len(index):,} names: build {build:.2f} s, from_keys (precomputed keys) {reload:.2f} s\n")

    print(f"{'query':<24}{'median ms':>10}{'p99 ms':>9}  first hit (how, score) → resolve")
    five: list[float] = []
    for q in FIVE:
        cands = index.find(q)
        times = [timed(lambda q=q: index.find(q)) for _ in range(50)]
        five += times
        picked = resolve(cands)
        top = f"{cands[0].name} ({cands[0].how}, {cands[0].score})" if cands else "-"
        row(q, times, f"{top} → {picked.name if picked else None}")
    row("the five together", five)

    rng = random.Random(1)
    sets = {
        "random full names": [rng.choice(names) for _ in range(200)],
        "random key prefixes": [name_key(n)[: rng.randint(2, 6)] for n in rng.sample(names, 200)],
        "one-char typos (fuzzy)": [typo(rng, name_key(n)) for n in rng.sample(names, 200)],
        "misses (full fuzzy)": [
            "".join(rng.choice(RARE) for _ in range(rng.randint(3, 8))) for _ in range(100)
        ] + ["".join(rng.choice("qxzjvkw") for _ in range(rng.randint(4, 10))) for _ in range(100)],
    }
    every: list[float] = []
    medians: dict[str, float] = {}
    for label, queries in sets.items():
        times = [timed(lambda q=q: index.find(q)) for q in queries for _ in range(3)]
        every += times
        medians[label] = statistics.median(times)
        row(label, times)
    row("all random queries", every)

    probe = sets["misses (full fuzzy)"][::10] + sets["one-char typos (fuzzy)"][::10]
    anchor = statistics.median(timed(lambda q=q: process.extractOne(q, keys)) for q in probe)
    plain = statistics.median(
        timed(lambda q=q: process.extractOne(q, keys, scorer=fuzz.ratio)) for q in probe
    )
    print(f"\nanchor, same run: rapidfuzz.process.extractOne over the 100k keys: median {anchor:.2f} ms "
          f"(default WRatio), {plain:.2f} ms (scorer=fuzz.ratio)")
    for label in ("misses (full fuzzy)", "one-char typos (fuzzy)"):
        ours = medians[label]
        print(f"ours / anchor, {label}: {ours / anchor:.2f} (WRatio), {ours / plain:.2f} (ratio)")


if __name__ == "__main__":
    main()
