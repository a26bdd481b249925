"""Exact and near-duplicate detection for short texts: MinHash over character shingles + LSH.

A text is a near duplicate when the Jaccard similarity of its character 5-gram sets with an
earlier text is at least the threshold. MinHash signatures (64 hash functions, 16 bands of 4)
only propose candidates; every candidate is confirmed with the exact Jaccard similarity, so a
reported duplicate is never a hashing accident.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict

import numpy as np

SHINGLE = 5
NUM_PERM = 64
BANDS = 16
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20240521)  # fixed: the same signatures in every run
_A = _rng.integers(1, _PRIME, size=(NUM_PERM, 1), dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=(NUM_PERM, 1), dtype=np.uint64)
_NON_WORD = re.compile(r"[\W_]+")


def dedup_key(text: str) -> str:
    """Case, punctuation and spacing removed: texts equal under this key are exact duplicates."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def shingles(key: str, n: int = SHINGLE) -> set[str]:
    if len(key) <= n:
        return {key}
    return {key[i : i + n] for i in range(len(key) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def minhash(items: set[str]) -> np.ndarray:
    """A MinHash signature of ``NUM_PERM`` values (stable across runs and machines)."""
    x = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in items), dtype=np.uint64)
    return ((_A * x[None, :] + _B) % _PRIME).min(axis=1)


class DuplicateIndex:
    """Remembers texts seen so far; :meth:`check_and_add` says whether a new one repeats them."""

    def __init__(self, near_threshold: float = 0.85) -> None:
        self.near_threshold = near_threshold
        self._exact: set[bytes] = set()
        self._shingles: list[set[str]] = []
        self._buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)

    def check_and_add(self, text: str) -> str | None:
        """``"duplicate"``, ``"near_duplicate"`` or ``None`` (new: the text is remembered)."""
        key = dedup_key(text)
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        if digest in self._exact:
            return "duplicate"
        grams = shingles(key)
        band_keys = []
        if self.near_threshold < 1.0:
            sig = minhash(grams).reshape(BANDS, -1)
            band_keys = [(b, sig[b].tobytes()) for b in range(BANDS)]
            candidates = {i for bk in band_keys for i in self._buckets.get(bk, ())}
            if any(jaccard(grams, self._shingles[i]) >= self.near_threshold for i in candidates):
                return "near_duplicate"
        self._exact.add(digest)
        idx = len(self._shingles)
        self._shingles.append(grams)
        for bk in band_keys:
            self._buckets[bk].append(idx)
        return None
