"""Fuzzy lookup of company names: the staged NameIndex, its Candidate matches and resolve."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, LCSseq

from sales.names import name_key
from sales.names.chars import _HAN_RE
from sales.names.pinyin import romanize

How = Literal["exact", "key", "prefix", "contains", "pinyin", "initials", "fuzzy"]

_SCAN_CAP = 5000  # hits ranked per prefix/contains stage; beyond this the order is approximate
_FUZZY_POOL = 200
_FUZZY_CUTOFF = 70.0
_ANCHOR_MAX = 20000
_MAX_FUZZY_LEN = 64
_RESOLVE_MARGIN = 10.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """One match of a name query."""

    id: int
    name: str
    score: float
    how: How


def _prefix_range(sorted_list: list[tuple[str, int]], prefix: str) -> tuple[int, int]:
    """Index range of the entries whose string starts with prefix."""
    return bisect_left(sorted_list, (prefix, -1)), bisect_left(sorted_list, (prefix + "\U0010ffff", -1))


class NameIndex:
    """In-memory index of (id, name) for staged exact → prefix → pinyin → fuzzy lookup."""

    def __init__(self, items: Iterable[tuple[int, str]] = ()) -> None:
        """Index (id, display name) pairs; a repeated id keeps its last name."""
        rows: list[tuple[int, str, str, str, str]] = []
        for id_, name in items:
            key = name_key(name)
            rows.append((id_, name, key, *romanize(key)))
        self._load(rows)

    @classmethod
    def from_keys(cls, rows: Iterable[tuple[int, str, str, str, str]]) -> NameIndex:
        """Index rows (id, name, key, pinyin, initials) whose keys were computed earlier."""
        index = cls()
        index._load(rows)
        return index

    def _load(self, rows: Iterable[tuple[int, str, str, str, str]]) -> None:
        """Rebuild every structure from scratch."""
        columns = list(zip(*{row[0]: row for row in rows}.values(), strict=True)) or [()] * 5
        self._ids: list[int] = list(columns[0])
        self._names, self._keys, self._pys, self._inis = (list[str](c) for c in columns[1:])
        self._slot = {id_: slot for slot, id_ in enumerate(self._ids)}
        self._dead = 0
        self._by_name: dict[str, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        for slot, (name, key) in enumerate(zip(self._names, self._keys, strict=True)):
            self._by_name.setdefault(name.strip(), []).append(slot)
            self._by_key.setdefault(key, []).append(slot)
        self._sorted_key = sorted((k, s) for s, k in enumerate(self._keys))
        self._sorted_py = sorted((p, s) for s, p in enumerate(self._pys))
        self._sorted_ini = sorted((i, s) for s, i in enumerate(self._inis))
        self._build_scan()

    def _build_scan(self) -> None:
        """Lay out what find scans linearly: all keys in one string, and packed copies for rapidfuzz."""
        self._blob = "\n".join(self._keys) + "\n"
        starts, pos = [], 0
        for key in self._keys:
            starts.append(pos)
            pos += len(key) + 1
        self._starts = starts
        # Fresh copies sit next to each other in memory; rapidfuzz over scattered strings is 2x slower.
        wide = "\n".join(k if not k.isascii() else "" for k in self._keys).split("\n")
        pys = "\n".join(self._pys).split("\n")
        aligned = len(wide) == len(pys) == len(self._keys)
        self._scan_wide = wide if aligned else [k if not k.isascii() else "" for k in self._keys]
        self._scan_py = pys if aligned else list(self._pys)

    def __len__(self) -> int:
        return len(self._slot)

    def add(self, id_: int, name: str) -> None:
        """Index a name, replacing the one already held for this id."""
        self.remove(id_)
        key = name_key(name)
        py, ini = romanize(key)
        slot = len(self._ids)
        self._ids.append(id_)
        self._names.append(name)
        self._keys.append(key)
        self._pys.append(py)
        self._inis.append(ini)
        self._slot[id_] = slot
        self._by_name.setdefault(name.strip(), []).append(slot)
        self._by_key.setdefault(key, []).append(slot)
        insort(self._sorted_key, (key, slot))
        insort(self._sorted_py, (py, slot))
        insort(self._sorted_ini, (ini, slot))
        if len(self._keys) - len(self._starts) > 2000:
            self._build_scan()

    def remove(self, id_: int) -> None:
        """Forget an id; unknown ids are ignored."""
        slot = self._slot.pop(id_, None)
        if slot is None:
            return
        name, key = self._names[slot].strip(), self._keys[slot]
        for table, value in ((self._by_name, name), (self._by_key, key)):
            table[value].remove(slot)
            if not table[value]:
                del table[value]
        for ordered, value in ((self._sorted_key, key), (self._sorted_py, self._pys[slot]),
                               (self._sorted_ini, self._inis[slot])):
            del ordered[bisect_left(ordered, (value, slot))]
        # Empty strings keep the columns aligned and never pass a fuzzy cutoff.
        self._keys[slot] = self._pys[slot] = self._inis[slot] = ""
        if slot < len(self._starts):
            self._scan_wide[slot] = self._scan_py[slot] = ""
        self._dead += 1
        if self._dead > 1000 and self._dead * 4 > len(self._ids):
            ids, names, keys, pys, inis = self._ids, self._names, self._keys, self._pys, self._inis
            self._load([(ids[s], names[s], keys[s], pys[s], inis[s]) for s in sorted(self._slot.values())])

    def _cands(self, scored: Iterable[tuple[float, int]], how: How, limit: int) -> list[Candidate]:
        """Best-first candidates from (score, slot) pairs."""
        best = heapq.nsmallest(limit, scored, key=lambda p: (-p[0], len(self._keys[p[1]]), p[1]))
        return [Candidate(self._ids[s], self._names[s], round(sc, 2), how) for sc, s in best]

    def find(self, query: str, limit: int = 5) -> list[Candidate]:
        """Best matches for a query; the first stage with any hit decides (use limit ≥ 2 for resolve)."""
        if limit <= 0:
            return []
        slots = self._by_name.get(query.strip())
        if slots and query.strip():
            return self._cands(((100.0, s) for s in slots), "exact", limit)
        q = name_key(query)
        if not q:
            return []
        if q in self._by_key:
            return self._cands(((98.0, s) for s in self._by_key[q]), "key", limit)
        for stage in (self._prefix, self._contains, self._pinyin, self._fuzzy):
            found = stage(q, limit)
            if found:
                return found
        return []

    def _prefix(self, q: str, limit: int) -> list[Candidate]:
        """Keys starting with the query; shorter keys first."""
        lo, hi = _prefix_range(self._sorted_key, q)
        hits = self._sorted_key[lo : min(hi, lo + _SCAN_CAP)]
        return self._cands(((80 + 10 * len(q) / len(k), s) for k, s in hits), "prefix", limit)

    def _contains(self, q: str, limit: int) -> list[Candidate]:
        """Keys containing the query; shorter keys first."""
        if q.isascii() and len(q) < 3:
            return []  # two Latin letters inside a word are noise, and may be pinyin initials
        hits: dict[int, float] = {}
        blob, starts, keys = self._blob, self._starts, self._keys
        pos = blob.find(q)
        while pos >= 0 and len(hits) < _SCAN_CAP:
            slot = bisect_right(starts, pos) - 1
            if keys[slot]:
                hits[slot] = 65 + 10 * len(q) / len(keys[slot])
            pos = blob.find(q, starts[slot + 1]) if slot + 1 < len(starts) else -1
        for slot in range(len(starts), len(keys)):
            if q in keys[slot]:
                hits[slot] = 65 + 10 * len(q) / len(keys[slot])
        return self._cands(((sc, s) for s, sc in hits.items()), "contains", limit)

    def _pinyin(self, q: str, limit: int) -> list[Candidate]:
        """Pinyin or initials prefix of a pinyin query, or a homophone of a Chinese one."""
        plain = q.isascii() and q.isalnum()
        if not plain and not _HAN_RE.search(q):
            return []
        qp = q if plain else romanize(q)[0]
        if not qp:
            return []
        lo, hi = _prefix_range(self._sorted_py, qp)
        hits = {s: 55 + 10 * len(qp) / len(p) for p, s in self._sorted_py[lo : min(hi, lo + _SCAN_CAP)]}
        if hits or not plain:
            return self._cands(((sc, s) for s, sc in hits.items()), "pinyin", limit)
        lo, hi = _prefix_range(self._sorted_ini, q)
        scored = ((50 + 10 * len(q) / len(i), s) for i, s in self._sorted_ini[lo : min(hi, lo + _SCAN_CAP)])
        return self._cands(scored, "initials", limit)

    def _fuzzy(self, q: str, limit: int) -> list[Candidate]:
        """Typo-tolerant match: prefix-anchored and subsequence passes, then a finer rescoring."""
        q = q[:_MAX_FUZZY_LEN]
        plain = q.isascii()
        if len(q) < (4 if plain else 3):
            return []
        field, ordered = (self._pys, self._sorted_py) if plain else (self._keys, self._sorted_key)
        pool: set[int] = set()
        # Subsequence pass: the query is the name with a few characters wrong or missing.
        need, n = len(q) - max(1, len(q) // 4), len(self._starts)
        packed = self._scan_py if plain else self._scan_wide if _HAN_RE.search(q) else field[:n]
        for choices, base in ((packed, 0), (field[n:], n)):
            hits = process.extract(q, choices, scorer=LCSseq.similarity, score_cutoff=need, limit=_FUZZY_POOL)
            pool.update(base + i for _, _, i in hits)
        # Anchored pass: a typo in what the user typed of the start of the name.
        for anchor in range(1 if not plain else 2, min(len(q), 4)):
            lo, hi = _prefix_range(ordered, q[:anchor])
            if hi - lo <= _ANCHOR_MAX:
                span = ordered[lo:hi]
                heads = [f[: len(q) + 1] for f, _ in span]
                near = process.extract(q, heads, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF,
                                       limit=_FUZZY_POOL)
                pool.update(span[i][1] for _, _, i in near)
                break
        qp = "" if plain else romanize(q)[0]
        ranked: list[tuple[float, float, int]] = []
        for slot in pool:
            f = field[slot]
            score = _typo_score(q, f) if f else 0.0
            if score >= _FUZZY_CUTOFF:
                ranked.append((score, fuzz.partial_ratio(qp, self._pys[slot]) if qp else 0.0, slot))
        ranked.sort(key=lambda r: (-r[0], -r[1], len(field[r[2]]), r[2]))
        return [Candidate(self._ids[s], self._names[s], round(sc, 2), "fuzzy") for sc, _, s in ranked[:limit]]


def _typo_score(q: str, f: str) -> float:
    """0–100, about 10 points per edit (more in short names), against the whole name or its start."""
    m = len(q)

    def edits(piece: str) -> float:
        return OSA.distance(q, piece) / min(max(m, len(piece)), 10)

    best = min(edits(f[:size]) for size in {max(m - 1, 1), m, m + 1, len(f)})
    score = 100 * (1 - best)
    if m >= (5 if q.isascii() else 3) and any(
        f.startswith(q[:i]) and q[i:] in f[i + 1 :] for i in range(1, m)
    ):
        score = max(score, 70 + 20 * m / len(f))  # a word left out: 北京科技 for 北京华信科技
    if len(f) > m:
        # A typo'd piece from the middle of a name is weaker evidence than one from its start.
        at = fuzz.partial_ratio_alignment(q, f)
        if at is not None:
            score = max(score, 90 - 100 * edits(f[at.dest_start : at.dest_end]))
    return score


def resolve(cands: list[Candidate]) -> Candidate | None:
    """The candidate to take without asking, or None when the user must choose."""
    if not cands:
        return None
    if len(cands) == 1:
        return cands[0]
    top, second = cands[0], cands[1]
    if top.how in ("exact", "key") and second.how != top.how:
        return top
    return top if top.score - second.score >= _RESOLVE_MARGIN else None

