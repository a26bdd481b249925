"""Keeping the usable base sentences: length bounds, language, exact and near duplicates."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from datagen.languages import is_language

_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class FilterSettings:
    """Length bounds in words; cosine at or above which two sentences are near duplicates."""

    min_words: int = 4
    max_words: int = 40
    near_duplicate: float = 0.95


@dataclass
class FilterReport:
    kept: int = 0
    removed: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {"kept": self.kept, "removed": dict(self.removed)}


def length(text: str) -> int:
    """Words (for Korean: eojeols, the space-separated units)."""
    return len(text.split())


def exact_key(text: str) -> str:
    """Case, spacing and punctuation do not make a sentence new."""
    return " ".join(_PUNCT.sub(" ", text.casefold()).split())


def filter_sentences(
    texts: Sequence[str],
    lang: str,
    settings: FilterSettings,
    *,
    already: Sequence[str] = (),
    embedder=None,
) -> tuple[list[str], FilterReport]:
    """``texts`` minus those out of bounds, not in ``lang``, or duplicating (exactly or nearly)
    an earlier text or one of ``already``. Order is kept; the report counts each reason."""
    from augment.embeddings import embed, near_duplicate_mask

    report = FilterReport()
    seen = {exact_key(t) for t in already}
    survivors = []
    for text in texts:
        n = length(text)
        if not settings.min_words <= n <= settings.max_words:
            report.removed["length"] += 1
        elif not is_language(text, lang):
            report.removed["language"] += 1
        elif exact_key(text) in seen:
            report.removed["exact_duplicate"] += 1
        else:
            seen.add(exact_key(text))
            survivors.append(text)
    if survivors:
        emb = embed([*already, *survivors], embedder)
        keep = near_duplicate_mask(emb, settings.near_duplicate)[len(already) :]
        report.removed["near_duplicate"] += int((~keep).sum())
        survivors = [t for t, k in zip(survivors, keep, strict=True) if k]
    report.kept = len(survivors)
    return survivors, report
