"""Ranking each type's candidate fills for one masked sentence.

For a sentence and a type t, every vocabulary word w gets

    score = A * logodds_t(w) + B * cos(w, centroid_t) + C * cos(w, slot word) + D * cos(w, context)

where each term is standardised (the log-odds by their spread over the whole vocabulary, the
cosines over the words compared), ``centroid_t`` is the mean embedding of the type's sentences
and ``context`` the mean embedding of the sentence's other content words. English fills fit the
slot (:mod:`datagen.masked.offline.fit`): each vocabulary word is inflected into the slot's part of
speech and inflection (``planning`` -> ``plan`` in ``I can always [MASK]``), words without such
a form and antonyms of the replaced word are left out; Korean words keep the shape of the word
they replace. The replaced word itself (and its other forms) is never a candidate. The ``k``
best become the candidates, with probabilities from a softmax of their scores at
``temperature``.
Only numpy: every embedding was computed beforehand in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datagen.masked.offline.fit import Roles, inflections, is_antonym, slot_tags
from datagen.masked.offline.words import shape

WEIGHTS = {"logodds": 1.0, "centroid": 0.5, "slot": 1.0, "context": 0.5}


@dataclass(frozen=True)
class RankerInputs:
    """What does not change between sentences: the vocabulary side of the scores."""

    words: tuple[str, ...]
    shapes: np.ndarray  # (V,) shape of each word
    logodds: np.ndarray  # (16, V), already standardised
    centroid_sim: np.ndarray  # (16, V) cos(word, type centroid)
    word_emb: np.ndarray  # (V, d), L2-normalised


def _standardise(x: np.ndarray, axis: int = -1) -> np.ndarray:
    std = x.std(axis=axis, keepdims=True)
    return (x - x.mean(axis=axis, keepdims=True)) / np.where(std > 0, std, 1.0)


def same_stem(a: str, b: str) -> bool:
    """``friend``/``friends``, ``plan``/``planned``: not a different fill."""
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def slot_fills(
    inputs: RankerInputs, slot_word: str, before: str, lang: str, *, k: int, roles: Roles
) -> list[tuple[int, str]]:
    """``(vocabulary index, fill)`` for every word that may fill the slot of ``slot_word``
    (``before``: the text before it). English: the word's form with one of the slot's tags, if
    it has one, the word takes that role in the type texts (``roles``) and the form is no
    antonym. Korean (or an English word outside the lexicon): words of the same shape, or any
    word when fewer than ``k`` have it."""
    key = slot_word.lower()
    wanted = slot_tags(slot_word, before) if lang == "en" else frozenset()
    tags = sorted(wanted)
    out = []
    for i, word in enumerate(inputs.words):
        if same_stem(word, key) or (tags and not roles.allows(word, wanted)):
            continue
        if tags:
            forms = inflections(word)
            fill = next((forms[t] for t in tags if t in forms), None)
            if fill is not None and not same_stem(fill, key) and not is_antonym(key, fill):
                out.append((i, fill))
        elif inputs.shapes[i] == shape(slot_word, lang):
            out.append((i, word))
    if not tags and len(out) < k:
        out = [(i, w) for i, w in enumerate(inputs.words) if not same_stem(w, key)]
    return out


def rank(
    inputs: RankerInputs,
    fills: list[tuple[int, str]],
    slot_emb: np.ndarray,
    context_emb: np.ndarray,
    *,
    k: int,
    temperature: float,
) -> list[list[tuple[str, float]]]:
    """For each of the 16 types: its (at most) ``k`` best ``(fill, prob)`` among ``fills`` (from
    :func:`slot_fills`), probs summing to 1, no fill twice."""
    columns = np.array([i for i, _ in fills], dtype=int)
    emb = inputs.word_emb[columns]
    score = (
        WEIGHTS["logodds"] * inputs.logodds[:, columns]
        + WEIGHTS["centroid"] * _standardise(inputs.centroid_sim[:, columns])
        + WEIGHTS["slot"] * _standardise(emb @ slot_emb)[None, :]
        + WEIGHTS["context"] * _standardise(emb @ context_emb)[None, :]
    )
    out = []
    for row in score:
        order, seen = [], set()
        for j in np.lexsort((columns, -row)):
            if fills[j][1] not in seen:
                seen.add(fills[j][1])
                order.append(j)
            if len(order) == k:
                break
        top = row[order] / temperature
        prob = np.exp(top - top.max())
        prob /= prob.sum()
        out.append([(fills[j][1], float(p)) for j, p in zip(order, prob, strict=True)])
    return out
