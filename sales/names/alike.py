"""Look-alike candidates of a large import, vectorized: the pairs dedupe's plain scan finds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from sales.names import same_company_keys
from sales.names.chars import _HAN_RE

Item = tuple[int, str, str, str]  # (ref, name, merge key, pinyin)
Ints = npt.NDArray[np.int64]
Hashes = npt.NDArray[np.uint64]
# Two polynomial hashes modulo primes below 2^31 (products fit in 64 bits), unlike one modulo 2^64, which
# some strings (Thue–Morse) defeat for every base.
_MODULI = ((np.uint64(1_000_003), np.uint64(2_147_483_647)), (np.uint64(911_382_323), np.uint64(2_147_483_629)))
_LENGTH = np.uint64(1_234_567)  # a length's share of a hash
_PINYIN = np.uint64(987_654_321)  # the share of a pinyin entry
_PAIRS_AT_ONCE = 4_000_000


def suspects(items: Sequence[Item], n_old: int, max_bucket: int,
             key_of: Callable[[str], str]) -> list[tuple[int, int, bool]]:
    """dedupe.suspects of old items then new ones, for many items: (new ref, other ref, is old)."""
    a, b = candidate_pairs(items, n_old, max_bucket)
    name_keys = [""] * len(items)
    for n in _unique(np.concatenate([a, b]))[0].tolist():
        name_keys[n] = key_of(items[n][1])
    yes = confirmed(name_keys, a, b)
    refs = np.array([ref for ref, _, _, _ in items], dtype=np.int64)
    ra, rb, old = refs[a[yes]], refs[b[yes]], b[yes] < n_old
    order = np.lexsort((old, rb, ra))
    ra, rb, old = ra[order], rb[order], old[order]
    fresh = np.r_[True, (ra[1:] != ra[:-1]) | (rb[1:] != rb[:-1]) | (old[1:] != old[:-1])][:len(ra)]
    return list(zip(ra[fresh].tolist(), rb[fresh].tolist(), old[fresh].tolist(), strict=True))


def candidate_pairs(items: Sequence[Item], n_old: int, max_bucket: int) -> tuple[Ints, Ints]:
    """(a, b) item indexes sharing a bucket: a new, b of another key and old or of an earlier ref; once each."""
    owners, groups = _buckets(items, max_bucket)
    ids: dict[str, int] = {}
    key_ids = np.array([ids.setdefault(key, len(ids)) for _, _, key, _ in items], dtype=np.int64)
    refs = np.array([ref for ref, _, _, _ in items], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else groups
    sizes = np.diff(np.r_[starts, len(groups)])
    codes: list[Ints] = []
    done = 0
    while done < len(starts):  # buckets in batches of about _PAIRS_AT_ONCE pairs, to bound the memory
        upto = max(done + 1, int(np.searchsorted(np.cumsum(sizes[done:] ** 2), _PAIRS_AT_ONCE)) + done)
        first, size = starts[done:upto], sizes[done:upto]
        x = np.repeat(np.arange(int(first[0]), int(first[-1] + size[-1])), np.repeat(size, size))
        block = np.repeat(first, size * size)
        y = block + (np.arange(len(x)) - np.repeat(np.cumsum(size * size) - size * size, size * size)) % \
            np.repeat(size, size * size)
        a, b = owners[x], owners[y]
        keep = (a >= n_old) & (key_ids[a] != key_ids[b]) & ((b < n_old) | (refs[b] < refs[a]))
        codes.append(a[keep] * len(items) + b[keep])
        done = upto
    unique = _unique(np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64))[0]
    return unique // len(items), unique % len(items)


def confirmed(keys: Sequence[str], a: Ints, b: Ints) -> npt.NDArray[np.bool_]:
    """names.same_company_keys(keys[a], keys[b]) for each pair, its cheap verdicts taken a column at once."""
    if not len(a):
        return np.zeros(0, dtype=np.bool_)
    sizes = np.array([len(k) for k in keys], dtype=np.int64)
    han = np.array([bool(_HAN_RE.search(k)) for k in keys], dtype=np.bool_)
    out = np.zeros(len(a), dtype=np.bool_)
    todo = np.flatnonzero((sizes[a] > 0) & (sizes[b] > 0))
    dist = process.cpdist(_pick(keys, a[todo]), _pick(keys, b[todo]), scorer=Levenshtein.distance,
                          score_cutoff=1, dtype=np.int32)
    out[todo] = (dist == 0) | ((dist <= 1) & (np.minimum(sizes[a[todo]], sizes[b[todo]]) >= 4))
    todo = todo[~out[todo]]
    ratio = process.cpdist(_pick(keys, a[todo]), _pick(keys, b[todo]), scorer=fuzz.ratio, dtype=np.float64)
    out[todo] = ratio >= 90
    todo = todo[~out[todo] & (han[a[todo]] != han[b[todo]])]  # one Chinese, one Latin: maybe its pinyin
    for i in todo.tolist():
        out[i] = same_company_keys(keys[int(a[i])], keys[int(b[i])])
    return out


def _unique(values: Ints) -> tuple[Ints, Ints]:
    """The distinct values ascending, and where each value is among them (np.unique is slower by far)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.zeros(0, dtype=np.bool_)
    at = np.empty(len(values), dtype=np.int64)
    at[order] = np.cumsum(first) - 1
    return ordered[first], at


def _pick(texts: Sequence[str], at: Ints) -> list[str]:
    if not len(at):
        return []
    got = itemgetter(*at.tolist())(texts)
    return list(got) if len(at) > 1 else [got]


def _buckets(items: Sequence[Item], max_bucket: int) -> tuple[Ints, Ints]:
    """(owner, bucket) of the first `max_bucket` items sharing a key variant (or pinyin), owners ascending."""
    # Buckets are told apart by hash alone: two texts colliding (odds about 2^-62 a pair) only add a pair
    # that confirmed() then judges on the real names.
    hashes, owners = _entries(items)
    if not len(hashes):
        return owners, owners
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    ends = np.r_[starts[1:], len(hashes)]
    several = owners[starts] != owners[ends - 1]  # owners ascend within a hash: two or more of them
    pick = np.repeat(several, ends - starts)
    hashes, owners = hashes[pick], owners[pick]
    if not len(hashes):
        return owners, owners
    groups = np.cumsum(np.r_[True, hashes[1:] != hashes[:-1]]) - 1
    keep = np.r_[True, (owners[1:] != owners[:-1]) | (groups[1:] != groups[:-1])]  # a key's equal variants
    owners, groups = owners[keep], groups[keep]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    rank = np.arange(len(groups)) - np.repeat(starts, sizes)
    keep = (np.repeat(sizes, sizes) > 1) & (rank < max_bucket)
    return owners[keep], np.repeat(np.arange(len(starts)), sizes)[keep]


def _entries(items: Sequence[Item]) -> tuple[Hashes, Ints]:
    """(hash, item) of each key of 4 to 60 characters, its one-deletion variants and differing pinyin."""
    hashes: list[Hashes] = []
    owners: list[Ints] = []
    by_length: dict[int, list[int]] = {}
    spelled: dict[int, list[int]] = {}
    for n, (_, _, key, py) in enumerate(items):
        if 4 <= len(key) <= 60:
            by_length.setdefault(len(key), []).append(n)
            if py and py != key:
                spelled.setdefault(len(py), []).append(n)
    for length, members in by_length.items():
        idx = np.array(members, dtype=np.int64)
        codes = _codes([items[n][2] for n in members], length).astype(np.uint64)
        whole, variants = [], []
        for base, prime in _MODULI:
            prefix = _prefix_hashes(codes, base, prime)
            powers = _powers(length, base, prime)[::-1]  # B^(L-1-i) for i in 0…L-1
            rest = prefix[:, length][:, None] + prime - prefix[:, 1:] * powers % prime  # the text after i
            whole.append((prefix[:, length] + length * _LENGTH) % prime)
            variants.append(((prefix[:, :length] * powers + rest + (length - 1) * _LENGTH) % prime).ravel())
        hashes += [_pair(*whole), _pair(*variants)]
        owners += [idx, np.repeat(idx, length)]
    for length, members in spelled.items():
        codes = _codes([items[n][3] for n in members], length).astype(np.uint64)
        whole = [(_prefix_hashes(codes, base, prime)[:, length] + length * _LENGTH + _PINYIN) % prime
                 for base, prime in _MODULI]
        hashes.append(_pair(*whole))
        owners.append(np.array(members, dtype=np.int64))
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(owners)


def _pair(high: Hashes, low: Hashes) -> Hashes:
    """Two hashes below 2^31 as one 64-bit value."""
    return (high << np.uint64(32)) | low


def _codes(texts: list[str], length: int) -> npt.NDArray[np.uint32]:
    """The code points of texts at most `length` long, one zero-padded row each."""
    return np.array(texts, dtype=f"<U{length}").view(np.uint32).reshape(len(texts), length)


def _prefix_hashes(codes: Hashes, base: np.uint64, prime: np.uint64) -> Hashes:
    """Column i holds the hash of each row's first i characters, modulo `prime`."""
    rows, length = codes.shape
    out = np.zeros((rows, length + 1), dtype=np.uint64)
    for i in range(length):
        out[:, i + 1] = (out[:, i] * base + codes[:, i]) % prime
    return out


def _powers(n: int, base: np.uint64, prime: np.uint64) -> Hashes:
    """B^0 … B^(n-1) modulo `prime`."""
    out = np.ones(n, dtype=np.uint64)
    for i in range(1, n):
        out[i] = out[i - 1] * base % prime
    return out
