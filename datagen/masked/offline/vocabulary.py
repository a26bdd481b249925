"""Per-type distinctive vocabulary: weighted log-odds with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words": for a word w, group i against the rest j,

    delta_w = log((y_iw + a_w) / (n_i + a_0 - y_iw - a_w))
            - log((y_jw + a_w) / (n_j + a_0 - y_jw - a_w))
    z_w     = delta_w / sqrt(1 / (y_iw + a_w) + 1 / (y_jw + a_w))

with the prior a_w proportional to w's count in the pooled corpus. A type's score for a word is
its own z (type vs the 15 others) plus the z of each of its four poles (E vs I, ... over all the
types on each side), so that types without enough text of their own still get a profile and
opposite poles pull apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from datagen.masked.offline.words import is_content_word, normalise, tokens
from schemas.labels import MBTI, MBTI_AXES
from schemas.type_mentions import find_type_mentions


@dataclass(frozen=True)
class TypeVocabulary:
    """Candidate fill words and each type's log-odds score for them (``scores[type, word]``)."""

    labels: tuple[str, ...]
    words: tuple[str, ...]
    scores: np.ndarray
    own: Mapping[str, tuple[str, ...]]

    def score(self, label: str, word: str) -> float:
        """A type's score for any word (0 for words outside the vocabulary)."""
        index = self._index.get(word)
        return 0.0 if index is None else float(self.scores[self.labels.index(label), index])

    @cached_property
    def _index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def weighted_log_odds(y_i: np.ndarray, y_j: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """z-scores of the log-odds ratio of each word in group i vs group j (Monroe et al. 2008)."""
    n_i, n_j, a_0 = y_i.sum(), y_j.sum(), prior.sum()
    delta = np.log((y_i + prior) / (n_i + a_0 - y_i - prior)) - np.log(
        (y_j + prior) / (n_j + a_0 - y_j - prior)
    )
    return delta / np.sqrt(1.0 / (y_i + prior) + 1.0 / (y_j + prior))


def count_words(texts: Sequence[str], lang: str) -> Counter[str]:
    """Content-word counts (type mentions never count: they would leak the label)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for token in tokens(text, lang):
            if is_content_word(token.word, lang) and not find_type_mentions(token.word):
                counts[normalise(token.word, lang)] += 1
    return counts


def build_vocabulary(
    texts_by_label: Mapping[str, Sequence[str]],
    lang: str,
    *,
    per_type: int = 40,
    min_count: int = 2,
    prior_scale: float = 1.0,
) -> TypeVocabulary:
    """The ``per_type`` most distinctive words of each type (union = the candidate fills)."""
    labels = MBTI.labels
    counters = [count_words(texts_by_label.get(label, ()), lang) for label in labels]
    total = Counter()
    for counter in counters:
        total.update(counter)
    words = sorted(w for w, c in total.items() if c >= min_count) or sorted(total)
    if not words:
        raise ValueError("no content words in the type texts")
    counts = np.array([[c[w] for w in words] for c in counters], dtype=np.float64)
    prior = prior_scale * counts.sum(axis=0)
    pooled = counts.sum(axis=0)
    has_text = counts.sum(axis=1) > 0
    scores = np.zeros_like(counts)
    for t in np.nonzero(has_text)[0]:
        scores[t] = weighted_log_odds(counts[t], pooled - counts[t], prior)
    for axis, (first, _second) in enumerate(MBTI_AXES):
        side = np.array([label[axis] == first for label in labels])
        if (has_text & side).any() and (has_text & ~side).any():
            z = weighted_log_odds(counts[side].sum(axis=0), counts[~side].sum(axis=0), prior)
            scores += np.where(side[:, None], z[None, :], -z[None, :])
    own = {}
    keep: dict[int, None] = {}
    for t, label in enumerate(labels):
        order = np.lexsort((np.arange(len(words)), -scores[t]))
        top = [i for i in order[:per_type] if scores[t, i] > 0]
        own[label] = tuple(words[i] for i in top)
        keep.update(dict.fromkeys(top))
    index = sorted(keep)
    return TypeVocabulary(labels, tuple(words[i] for i in index), scores[:, index], own)
