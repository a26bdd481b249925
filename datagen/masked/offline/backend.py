"""The offline masked-sentence generator: vocabulary + slot + ranker over one batch of embeddings.

Honest about what it is: a deterministic heuristic built from the type articles and the bundled
MiniLM encoder, not a language model (its rows say ``backend = offline-heuristic``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from datagen.llm.task import text_sha
from datagen.masked.offline import ranker, slots
from datagen.masked.offline.fit import Roles
from datagen.masked.offline.vocabulary import TypeVocabulary, build_vocabulary
from datagen.masked.offline.words import normalise, shape
from schemas.labels import MBTI
from schemas.records import MASK

BACKEND = "offline-heuristic"
VERSION = "offline-heuristic v2"


@dataclass(frozen=True)
class OfflineSettings:
    """Knobs of the heuristic (all of them go into its ``prompt_sha``)."""

    k: int = 5
    temperature: float = 1.0
    per_type: int = 40
    slot_vocab: int = 20
    sentences_per_type: int = 16

    @property
    def sha(self) -> str:
        blob = json.dumps({**self.__dict__, "weights": ranker.WEIGHTS}, sort_keys=True)
        return text_sha(VERSION, blob)


def model_label(model: str | None) -> str:
    """``logodds+all-MiniLM-L6-v2`` for the bundled encoder, else ``logodds+<name>``."""
    name = "all-MiniLM-L6-v2" if model is None or "MiniLM-L6" in str(model) else Path(model).name
    return f"logodds+{name}"


class OfflineBackend:
    """Builds the vocabulary side once; :meth:`mask` then handles any number of sentences."""

    def __init__(
        self,
        type_texts: Mapping[str, Sequence[str]],
        lang: str,
        *,
        settings: OfflineSettings = OfflineSettings(),
        model: str | None = None,
    ) -> None:
        from augment.search.embeddings import embed, load_embedder

        self.lang = lang
        self.settings = settings
        self.model = model_label(model)
        self._encoder = load_embedder(model)
        self._embed = embed
        self.roles = Roles(s for texts in type_texts.values() for s in texts)
        self.vocabulary: TypeVocabulary = build_vocabulary(
            type_texts, lang, per_type=settings.per_type
        )
        words = list(self.vocabulary.words)
        n = settings.sentences_per_type
        picked = {t: _evenly(type_texts.get(t, ()), n) for t in MBTI.labels}
        sentences = [s for t in MBTI.labels for s in picked[t]]
        emb = self._embed(words + sentences, self._encoder, batch_size=256)
        word_emb, sentence_emb = emb[: len(words)], emb[len(words) :]
        centroids = _centroids(picked, sentence_emb)
        scores = self.vocabulary.scores
        self.inputs = ranker.RankerInputs(
            words=tuple(words),
            shapes=np.array([shape(w, lang) for w in words]),
            logodds=scores / (scores.std() or 1.0),
            centroid_sim=centroids @ word_emb.T,
            word_emb=word_emb,
        )
        index = {w: i for i, w in enumerate(words)}
        self._own = [
            np.array([index[w] for w in self.vocabulary.own[t][: settings.slot_vocab]], dtype=int)
            for t in MBTI.labels
        ]

    def mask(self, rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[dict]]:
        """Masked rows (16 per sentence, type order) and failures (sentences without words).
        Only words with at least ``k`` fills that fit them can become the slot."""
        k = self.settings.k
        words = [slots.slot_candidates(r["text"], self.lang) for r in rows]
        fills = [
            {t.start: ranker.slot_fills(
                self.inputs, t.word, r["text"][: t.start], self.lang, k=k, roles=self.roles
            )
             for t in cands}
            for r, cands in zip(rows, words, strict=True)
        ]  # fmt: skip
        unique = sorted({normalise(t.word, self.lang) for c in words for t in c})
        emb = self._embed(unique, self._encoder, batch_size=512)
        where = {w: i for i, w in enumerate(unique)}
        affinity = self._affinity(emb)
        scores = {w: affinity[where[w]] for w in unique}
        records, failures = [], []
        for row, cands, options in zip(rows, words, fills, strict=True):
            usable = [t for t in cands if len(options[t.start]) >= k]
            slot = slots.choose_slot(row["text"], usable, scores, self.lang) if usable else None
            if slot is None:
                reason = "no word whose slot enough fills fit" if cands else "no word to mask"
                failures.append({"row_id": row["id"], "reason": reason, "attempts": 1})
                continue
            key = normalise(slot.word, self.lang)
            others = [where[normalise(t.word, self.lang)] for t in cands if t.start != slot.start]
            context = emb[others].mean(axis=0) if others else emb[where[key]]
            context = context / (np.linalg.norm(context) or 1.0)
            ranked = ranker.rank(
                self.inputs,
                options[slot.start],
                emb[where[key]],
                context,
                k=k,
                temperature=self.settings.temperature,
            )
            records.extend(self._rows(row, slots.mask_slot(row["text"], slot), ranked))
        return records, failures

    def _affinity(self, emb: np.ndarray) -> np.ndarray:
        """Per word: mean over types of the best cosine with the type's top vocabulary."""
        sim = emb @ self.inputs.word_emb.T
        zero = np.zeros(len(emb))
        per_type = [sim[:, own].max(axis=1) if len(own) else zero for own in self._own]
        return np.mean(per_type, axis=0)

    def _rows(self, row: Mapping[str, Any], masked: str, ranked: list) -> list[dict]:
        assert masked.count(MASK) == 1
        return [
            {
                "id": f"{row['id']}-{label}",
                "base_id": row["id"],
                "text": masked,
                "label": label,
                "target": cands[0][0],
                "candidates": [{"word": w, "prob": p} for w, p in cands],
                "backend": BACKEND,
                "model": self.model,
                "prompt_sha": self.settings.sha,
            }
            for label, cands in zip(MBTI.labels, ranked, strict=True)
        ]


def _evenly(items: Sequence[str], n: int) -> list[str]:
    """At most ``n`` items spread evenly over the sequence (deterministic)."""
    if len(items) <= n:
        return list(items)
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)] if n > 1 else [items[0]]


def _centroids(picked: Mapping[str, list[str]], emb: np.ndarray) -> np.ndarray:
    """Mean sentence embedding per type; a type without texts borrows from the types sharing
    its letters (weighted by how many they share)."""
    own, start = {}, 0
    for label in MBTI.labels:
        n = len(picked[label])
        if n:
            own[label] = emb[start : start + n].mean(axis=0)
        start += n
    out = []
    for label in MBTI.labels:
        if label in own:
            vec = own[label]
        else:
            weights = {o: sum(a == b for a, b in zip(label, o, strict=True)) for o in own}
            vec = sum(w * own[o] for o, w in weights.items())
        out.append(vec / (np.linalg.norm(vec) or 1.0))
    return np.stack(out)
