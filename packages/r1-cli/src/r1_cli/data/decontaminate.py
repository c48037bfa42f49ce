"""N-gram decontamination: flag training rows that share a word n-gram with a benchmark.

Text is lower-cased, punctuation becomes spaces, and words are split on whitespace. A row is
flagged for a benchmark when any of its ``n``-word windows occurs in any of the benchmark's texts;
texts shorter than ``n`` words have no n-grams and are never flagged.

Speed: a chunk of rows is normalised as one string, its words are hashed with numpy (no Python
object per word), n-gram hashes are combined by doubling, a one-hash Bloom filter discards almost
every window and the rest are looked up by binary search in each benchmark's sorted hashes;
chunks run in parallel processes. Hash hits are confirmed by exact n-gram comparison, so the flags
are exactly those of a plain set intersection (hash collisions can only cost time, never a false
flag).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from r1_core.errors import ConfigError

__all__ = ["BenchmarkNgrams", "Contamination", "find_contamination", "ngrams", "words"]

# Per-row normalisation (the definition; used to confirm hits).
_PUNCT = re.compile(r"[^\w\s]")
# str.translate has a fast path for ASCII; this table maps exactly the ASCII chars _PUNCT matches.
_ASCII_PUNCT_ROW = str.maketrans({chr(c): " " for c in range(128)
                                  if not (chr(c).isalnum() or chr(c) == "_" or chr(c).isspace())})

# Chunk normalisation: punctuation and whitespace become one space; NUL separates the rows.
_SEP = "\0"
_PUNCT_KEEP_SEP = re.compile(r"[^\w\s\0]")
_ASCII_PUNCT = str.maketrans({chr(c): " " for c in range(1, 128) if not (chr(c).isalnum() or chr(c) == "_")})
_SPACE = np.uint8(32)
_PAD = 8  # zero bytes after the data, so an 8-byte read at any word start stays in bounds

# Hashing.
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_MULT = np.uint64(0x100000001B3)  # FNV-64 prime: odd, so rolling keeps every bit of each word
_FILTER_MASK = np.uint64((1 << 22) - 1)  # a 4 MiB Bloom filter fits in the last-level cache

PARALLEL_MIN_ROWS = 20_000
CHUNK_ROWS = 5_000
CHUNK_CHARS = 2_000_000


def words(text: str) -> list[str]:
    """Lower-cased words with punctuation replaced by spaces."""
    text = text.lower()
    if text.isascii():
        return text.translate(_ASCII_PUNCT_ROW).split()
    return _PUNCT.sub(" ", text).split()


def ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def _normalized_bytes(texts: Sequence[str]) -> np.ndarray:
    """``texts`` normalised into one UTF-8 byte array whose only whitespace is ASCII space, texts
    separated by a NUL word, with a space in front and a space plus 8 zero bytes at the end.

    One lower/translate over the joined chunk costs far less than one per row.
    """
    if any(_SEP in t for t in texts):  # a NUL inside a text would fake a boundary
        texts = [t.replace(_SEP, " ") for t in texts]
    big = f" {_SEP} ".join(texts).lower()
    if big.isascii():
        raw = big.translate(_ASCII_PUNCT).encode("ascii")
    else:
        raw = " ".join(_PUNCT_KEEP_SEP.sub(" ", big).split()).encode("utf-8")
    return np.frombuffer(b" " + raw + b" " + bytes(_PAD), dtype=np.uint8)


def _word_hashes(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of each space-separated word of ``data`` (see ``_normalized_bytes``), and
    which words are the NUL separator.

    Reads each word's first and last 8 bytes as integers through an unaligned view, so the work
    is per word, not per byte; words up to 16 bytes hash exactly, longer ones may collide, which
    only costs a re-check.
    """
    body = data[:-_PAD]
    spaces = np.flatnonzero(body == _SPACE)
    gap = np.flatnonzero(np.diff(spaces) > 1)
    starts, ends = spaces[gap] + 1, spaces[gap + 1]
    lens = ends - starts
    words8 = np.ndarray((len(body),), dtype="<u8", buffer=data, strides=(1,))
    hashes = words8[starts]
    hashes &= _LOW_BYTES[np.minimum(lens, 8)]
    # NUL is the only zero byte in the data, so the separator word is the only zero head.
    is_sep = hashes == 0
    long = np.flatnonzero(lens > 8)  # few: only these need their last 8 bytes too
    hashes[long] += words8[ends[long] - 8] * _K2
    hashes *= _K1
    hashes ^= hashes >> np.uint64(31)
    return hashes, is_sep


def _window_hashes(flat: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash of every run of ``n`` consecutive word hashes, by repeated doubling:
    windows of 1, 2, 4, ... words combine in log2(n) vector passes instead of n."""
    h, width = flat, 1
    parts: list[tuple[np.ndarray, int]] = []
    remaining = n
    while remaining:
        if remaining & 1:
            parts.append((h, width))
        remaining >>= 1
        if remaining:
            h = h[:len(h) - width] * _power(_MULT, width) + h[width:]
            width *= 2
    out, used = parts[0][0], parts[0][1]
    for part, width in parts[1:]:
        span = len(flat) - (used + width) + 1
        out = out[:span] * _power(_MULT, width) + part[used:used + span]
        used += width
    return out[:len(flat) - n + 1]


def _power(base: np.uint64, exp: int) -> np.uint64:
    return np.uint64(pow(int(base), exp, 1 << 64))


class _Windows:
    """Hashes of all n-word windows of a chunk and the separators that tell rows apart."""

    def __init__(self, texts: Sequence[str], n: int) -> None:
        flat, is_sep = _word_hashes(_normalized_bytes(texts))
        self.n = n
        self.hashes = _window_hashes(flat, n) if len(flat) >= n else np.empty(0, np.uint64)
        self.seps = np.flatnonzero(is_sep)

    def rows_of(self, positions: np.ndarray) -> np.ndarray:
        """Row index of each window start; -1 where the window crosses a row boundary."""
        row = np.searchsorted(self.seps, positions, side="right")
        nxt = np.append(self.seps, np.iinfo(np.int64).max)[row]
        return np.where(nxt >= positions + self.n, row, -1)

    def inside(self) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of the windows inside one row, and that row."""
        rows = self.rows_of(np.arange(len(self.hashes)))
        keep = rows >= 0
        return self.hashes[keep], rows[keep]


class BenchmarkNgrams:
    """The n-grams of one benchmark's texts: sorted hashes for lookup, exact tuples to confirm."""

    def __init__(self, name: str, texts: Iterable[str], n: int) -> None:
        self.name = name
        self.n = n
        self.texts = list(texts)
        hashes, owners = _Windows(self.texts, n).inside()
        order = np.argsort(hashes, kind="stable")
        self._sorted, self._owners = hashes[order], owners[order]
        self.hashes = np.unique(hashes)
        self._grams: dict[int, set[tuple[str, ...]]] = {}

    def hits(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self.hashes):
            return np.zeros(len(hashes), dtype=bool)
        pos = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        return self.hashes[pos] == hashes

    def confirm(self, texts: Sequence[str]) -> list[bool]:
        """Exact check of hash hits: does each text share an n-gram (as word tuples) with one of
        the benchmark texts whose hashes it matched? Only those few texts are ever tokenised."""
        if not texts:
            return []
        hashes, rows = _Windows(texts, self.n).inside()
        hit = self.hits(hashes)
        hashes, rows = hashes[hit], rows[hit]
        lo = np.searchsorted(self._sorted, hashes, side="left")
        hi = np.searchsorted(self._sorted, hashes, side="right")
        owners: dict[int, set[int]] = {}
        for row, a, b in zip(rows.tolist(), lo.tolist(), hi.tolist(), strict=True):
            owners.setdefault(row, set()).update(self._owners[a:b].tolist())
        out = []
        for i, text in enumerate(texts):
            grams = ngrams(words(text), self.n) if i in owners else set()
            out.append(any(not grams.isdisjoint(self._text_grams(j)) for j in sorted(owners.get(i, ()))))
        return out

    def _text_grams(self, index: int) -> set[tuple[str, ...]]:
        if index not in self._grams:
            self._grams[index] = ngrams(words(self.texts[index]), self.n)
        return self._grams[index]


class _Matcher:
    """All benchmarks plus a one-hash Bloom filter over all their n-grams (low bits of the hash)."""

    def __init__(self, benches: Sequence[BenchmarkNgrams]) -> None:
        self.benches = list(benches)
        self.seen = np.zeros(int(_FILTER_MASK) + 1, dtype=bool)
        for bench in benches:
            self.seen[bench.hashes & _FILTER_MASK] = True


@dataclass
class Contamination:
    """Flagged row indices (0-based), overall and per benchmark."""

    rows: int
    flagged: list[int]
    by_benchmark: dict[str, list[int]]
    ngram: int

    def as_dict(self) -> dict[str, Any]:
        return {"flagged": self.flagged, "by_benchmark": self.by_benchmark, "rows": self.rows}


def _chunks(texts: Sequence[str]) -> Iterable[tuple[int, int]]:
    """Row ranges of about CHUNK_CHARS characters (at most CHUNK_ROWS rows): bounded memory."""
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 3)
    lo = 0
    while lo < len(texts):
        base = ends[lo - 1] if lo else 0
        hi = int(np.searchsorted(ends, base + CHUNK_CHARS, side="right"))
        hi = min(max(hi, lo + 1), lo + CHUNK_ROWS, len(texts))
        yield lo, hi
        lo = hi


def _candidates(texts: Sequence[str], offset: int, n: int, matcher: _Matcher) -> dict[str, list[int]]:
    """Rows whose window hashes hit each benchmark (hash level; confirmed later)."""
    out: dict[str, list[int]] = {b.name: [] for b in matcher.benches}
    for lo, hi in _chunks(texts):
        windows = _Windows(texts[lo:hi], n)
        # One cache-friendly lookup for all windows; row owners and binary search for the few left.
        pos = np.flatnonzero(matcher.seen[windows.hashes & _FILTER_MASK])
        owner = windows.rows_of(pos)
        hashes, owner = windows.hashes[pos[owner >= 0]], owner[owner >= 0]
        for bench in matcher.benches:
            rows = np.unique(owner[bench.hits(hashes)]) + (offset + lo)
            out[bench.name].extend(rows.tolist())
    return out


# Worker state. Under ``fork`` workers inherit the matcher and the rows (nothing is pickled);
# under ``spawn`` each worker rebuilds the matcher from the benchmark texts and gets its rows.
_MATCHER: _Matcher | None = None
_ROWS: Sequence[str] = ()


def _init_worker(specs: list[tuple[str, list[str]]] | None, n: int) -> None:
    global _MATCHER
    if specs is not None:
        _MATCHER = _Matcher([BenchmarkNgrams(name, texts, n) for name, texts in specs])


def _candidates_in_worker(lo: int, hi: int, texts: Sequence[str] | None, n: int) -> dict[str, list[int]]:
    assert _MATCHER is not None
    return _candidates(_ROWS[lo:hi] if texts is None else texts, lo, n, _MATCHER)


def _parallel_candidates(texts: Sequence[str], n: int, matcher: _Matcher,
                         workers: int) -> dict[str, set[int]]:
    global _MATCHER, _ROWS
    chunk = max(1, -(-len(texts) // (workers * 4)))
    fork = "fork" in mp.get_all_start_methods()
    specs = None if fork else [(b.name, b.texts) for b in matcher.benches]
    found: dict[str, set[int]] = {b.name: set() for b in matcher.benches}
    _MATCHER, _ROWS = matcher, texts
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork" if fork else "spawn"),
                                 initializer=_init_worker, initargs=(specs, n)) as pool:
            futures = [pool.submit(_candidates_in_worker, i, min(i + chunk, len(texts)),
                                   None if fork else texts[i:i + chunk], n)
                       for i in range(0, len(texts), chunk)]
            for fut in futures:
                for name, rows in fut.result().items():
                    found[name].update(rows)
    finally:
        _MATCHER, _ROWS = None, ()
    return found


def find_contamination(texts: Sequence[str], benchmarks: dict[str, Sequence[str]], *, n: int = 8,
                       workers: int | None = None) -> Contamination:
    """Rows of ``texts`` sharing an ``n``-word n-gram with any text of each benchmark."""
    if n < 1:
        raise ConfigError(f"--ngram must be at least 1 (got {n})", "8 is the usual size")
    matcher = _Matcher([BenchmarkNgrams(name, list(bt), n) for name, bt in benchmarks.items()])
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and len(texts) >= PARALLEL_MIN_ROWS:
        candidates = _parallel_candidates(texts, n, matcher, workers)
    else:
        candidates = {name: set(rows) for name, rows in _candidates(texts, 0, n, matcher).items()}
    by_benchmark = {}
    for bench in matcher.benches:
        rows = sorted(candidates[bench.name])
        ok = bench.confirm([texts[i] for i in rows])
        by_benchmark[bench.name] = [i for i, good in zip(rows, ok, strict=True) if good]
    flagged = sorted(set().union(*by_benchmark.values())) if by_benchmark else []
    return Contamination(rows=len(texts), flagged=flagged, by_benchmark=by_benchmark, ngram=n)
