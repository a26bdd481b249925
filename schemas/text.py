"""Text utilities shared by every stage: normalising, the exact-duplicate key, script share
(which language a text is written in) and one deduplicator for exact and near duplicates.

Near duplicates have two strategies: ``jaccard`` (character 5-gram sets; MinHash + LSH only
propose candidates, every candidate is confirmed with the exact Jaccard similarity) and
``cosine`` (L2-normalised embeddings from an injected ``embed`` callable: this module never
loads a model).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

Lang = Literal["en", "ko"]
Strategy = Literal["jaccard", "cosine"]
STRATEGIES: tuple[str, ...] = ("jaccard", "cosine")
Embed = Callable[[Sequence[str]], np.ndarray]

# ---- normalising and the exact key ------------------------------------------------------------

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
                         "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'"})  # fmt: skip
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_LEADING_MARKS = re.compile(r"^[\s#>*•·▪►\-–—|]+")
_NON_WORD = re.compile(r"[\W_]+")


def normalize_sentence(text: str) -> str:
    """NFKC, straight quotes, no invisible characters or leading bullets, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _INVISIBLE.sub("", text)
    text = _LEADING_MARKS.sub("", text)
    return " ".join(text.split())


def exact_key(text: str) -> str:
    """Case, punctuation and spacing removed: texts equal under this key are exact duplicates."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


# ---- script share -----------------------------------------------------------------------------

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")
HANGUL_SHARE = 0.3  # Korean texts often quote Latin words and type codes
LATIN_SHARE = 0.9


def script_share(text: str, lang: str) -> float:
    """Share of the letters in ``text`` that belong to ``lang``'s script (Hangul / ASCII)."""
    letters = _LETTER.findall(text)
    if not letters:
        return 0.0
    script = _HANGUL if lang == "ko" else _ASCII_LETTER
    return sum(1 for c in letters if script.match(c)) / len(letters)


def detect_lang(text: str) -> Lang:
    """``"ko"`` when at least ``HANGUL_SHARE`` of the letters are Hangul, else ``"en"``."""
    return "ko" if script_share(text, "ko") >= HANGUL_SHARE else "en"


def is_language(text: str, lang: str) -> bool:
    """Whether ``text`` is written in ``lang``: Korean by the same Hangul share as
    :func:`detect_lang`, English when at least ``LATIN_SHARE`` of its letters are ASCII."""
    return script_share(text, lang) >= (HANGUL_SHARE if lang == "ko" else LATIN_SHARE)


# ---- near duplicates --------------------------------------------------------------------------

SHINGLE = 5
NUM_PERM = 64
BANDS = 16
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20240521)  # fixed: the same signatures in every run
_A = _rng.integers(1, _PRIME, size=(NUM_PERM, 1), dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=(NUM_PERM, 1), dtype=np.uint64)


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


def near_duplicate_mask(
    emb: np.ndarray, threshold: float = 0.95, budget_bytes: int = 256 << 20
) -> np.ndarray:
    """Boolean mask keeping the first of every group of rows with cosine >= ``threshold``.

    Rows are compared in blocks of ``budget_bytes / (4 N)`` queries, so memory stays bounded
    (1M rows: 67 queries per block at the 256 MiB default, never an N x N matrix).
    """
    keep = np.ones(len(emb), dtype=bool)
    chunk = max(1, min(len(emb), budget_bytes // max(1, 4 * len(emb))))
    for start in range(0, len(emb), chunk):
        block = emb[start : start + chunk] @ emb.T
        for i, row in enumerate(block):
            idx = start + i
            if not keep[idx]:
                continue
            dup = np.nonzero(row[idx + 1 :] >= threshold)[0] + idx + 1
            keep[dup] = False
    return keep


class Deduplicator:
    """Remembers the texts kept so far; :meth:`check` says which new ones repeat them.

    A text is a ``"duplicate"`` when its :func:`exact_key` was seen before, a
    ``"near_duplicate"`` when its similarity with a kept text (or an earlier one of the same
    call) is at least ``threshold``; ``threshold >= 1`` checks exact duplicates only. ``cosine``
    needs ``embed`` (texts -> L2-normalised rows) and embeds each call's texts in one batch.
    """

    def __init__(self, strategy: str, threshold: float, embed: Embed | None = None) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r} (use {' or '.join(STRATEGIES)})")
        if strategy == "cosine" and embed is None:
            raise ValueError("the cosine strategy needs an embed callable")
        self.strategy, self.threshold, self.embed = strategy, threshold, embed
        self._exact: set[bytes] = set()
        self._shingles: list[set[str]] = []
        self._buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
        self._emb: list[np.ndarray] = []

    def check(self, texts: Sequence[str]) -> list[str | None]:
        """For each text in order: ``"duplicate"``, ``"near_duplicate"`` or ``None`` (new: it is
        remembered). Every text that is not an exact duplicate marks its key as seen."""
        reasons: list[str | None] = []
        fresh: list[int] = []
        for i, text in enumerate(texts):
            key = exact_key(text)
            digest = hashlib.sha256(key.encode("utf-8")).digest()
            if digest in self._exact:
                reasons.append("duplicate")
                continue
            self._exact.add(digest)
            reasons.append(None)
            if self.threshold < 1.0 and self.strategy == "jaccard":
                reasons[i] = self._jaccard(key)
            fresh.append(i)
        if self.threshold < 1.0 and self.strategy == "cosine" and fresh:
            for i, near in zip(fresh, self._cosine([texts[i] for i in fresh]), strict=True):
                reasons[i] = "near_duplicate" if near else None
        return reasons

    def _jaccard(self, key: str) -> str | None:
        grams = shingles(key)
        sig = minhash(grams).reshape(BANDS, -1)
        band_keys = [(b, sig[b].tobytes()) for b in range(BANDS)]
        candidates = {i for bk in band_keys for i in self._buckets.get(bk, ())}
        if any(jaccard(grams, self._shingles[i]) >= self.threshold for i in candidates):
            return "near_duplicate"
        idx = len(self._shingles)
        self._shingles.append(grams)
        for bk in band_keys:
            self._buckets[bk].append(idx)
        return None

    def _cosine(self, texts: list[str]) -> np.ndarray:
        """Which of ``texts`` are near duplicates (of a kept text or an earlier one here)."""
        emb = self.embed(texts)
        keep = np.ones(len(texts), dtype=bool)
        if self._emb:
            keep = (emb @ np.concatenate(self._emb).T).max(axis=1) < self.threshold
        keep[keep] = near_duplicate_mask(emb[keep], self.threshold)
        self._emb.append(emb[keep])
        return ~keep
