"""Keeping the usable base sentences: length bounds, language, exact and near duplicates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from schemas.text import Deduplicator, Embed, is_language


class BaseSentenceFilter:
    """Feeds batches of candidate sentences through the filters; remembers what it kept so that a
    later batch never repeats an earlier one. Near duplicates: cosine of the ``embed`` callable's
    embeddings at or above ``near_duplicate``."""

    def __init__(
        self, lang: str, *, min_words: int, max_words: int, near_duplicate: float, embed: Embed
    ) -> None:
        self.lang, self.min_words, self.max_words = lang, min_words, max_words
        self.duplicates = Deduplicator("cosine", near_duplicate, embed=embed)
        self.removed: Counter[str] = Counter()
        self.kept = 0

    def add(self, texts: Sequence[str]) -> list[int]:
        """Indices of the ``texts`` kept, in order."""
        candidates = []
        for i, text in enumerate(texts):
            if not self.min_words <= len(text.split()) <= self.max_words:
                self.removed["length"] += 1
            elif not is_language(text, self.lang):
                self.removed["language"] += 1
            else:
                candidates.append(i)
        reasons = self.duplicates.check([texts[i] for i in candidates])
        kept = [i for i, reason in zip(candidates, reasons, strict=True) if reason is None]
        exact = reasons.count("duplicate")
        if exact:
            self.removed["exact_duplicate"] += exact
        if len(reasons) > exact:  # the near-duplicate check ran
            self.removed["near_duplicate"] += reasons.count("near_duplicate")
        self.kept += len(kept)
        return kept

    def report(self) -> dict:
        return {"kept": self.kept, "removed": dict(self.removed)}
