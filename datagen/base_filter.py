"""Keeping the usable base sentences: length bounds, language, exact and near duplicates."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from datagen.languages import is_language

_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class FilterSettings:
    """Length bounds in words; cosine at or above which two sentences are near duplicates."""

    min_words: int = 4
    max_words: int = 40
    near_duplicate: float = 0.95


def exact_key(text: str) -> str:
    """Case, spacing and punctuation do not make a sentence new."""
    return " ".join(_PUNCT.sub(" ", text.casefold()).split())


@dataclass
class SentenceFilter:
    """Feeds batches of candidate sentences through the filters; remembers what it kept so that a
    later batch never repeats an earlier one. Near duplicates: cosine of the bundled MiniLM
    embeddings (or ``embedder``) at or above ``settings.near_duplicate``."""

    lang: str
    settings: FilterSettings = FilterSettings()
    embedder: object | None = None
    removed: Counter = field(default_factory=Counter)
    kept: int = 0
    _seen: set[str] = field(default_factory=set)
    _emb: list[np.ndarray] = field(default_factory=list)

    def add(self, texts: Sequence[str]) -> list[int]:
        """Indices of the ``texts`` kept, in order."""
        from augment.embeddings import embed, near_duplicate_mask

        candidates = []
        for i, text in enumerate(texts):
            n = len(text.split())
            key = exact_key(text)
            if not self.settings.min_words <= n <= self.settings.max_words:
                self.removed["length"] += 1
            elif not is_language(text, self.lang):
                self.removed["language"] += 1
            elif key in self._seen:
                self.removed["exact_duplicate"] += 1
            else:
                self._seen.add(key)
                candidates.append(i)
        if not candidates:
            return []
        emb = embed([texts[i] for i in candidates], self.embedder)
        keep = np.ones(len(candidates), dtype=bool)
        if self._emb:
            keep = (emb @ np.concatenate(self._emb).T).max(axis=1) < self.settings.near_duplicate
        keep[keep] = near_duplicate_mask(emb[keep], self.settings.near_duplicate)
        self.removed["near_duplicate"] += int((~keep).sum())
        self._emb.append(emb[keep])
        self.kept += int(keep.sum())
        return [i for i, k in zip(candidates, keep, strict=True) if k]

    def report(self) -> dict:
        return {"kept": self.kept, "removed": dict(self.removed)}
