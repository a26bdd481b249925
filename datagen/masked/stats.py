"""How much the phase-2 targets differ by type: the numbers in every ``masked`` manifest.

- ``mean_jsd``: Jensen-Shannon divergence (base 2, 0..1) between the candidate distributions of
  two types for the same sentence, averaged over the 120 type pairs and the sentences.
- ``axis_top1_differs``: per axis, the share of (sentence, type pair differing only on that
  axis, e.g. INFJ/ENFJ) whose top-1 targets differ.
- ``axis_pole_jsd``: per axis, the JSD between the pooled candidate distributions of its two
  poles (the 8 E types vs the 8 I types, ...), averaged over the sentences.
- ``slot_fit`` (when the base sentences are known; English): the share of rows whose every
  candidate fits the slot and the share whose target does (:mod:`datagen.masked.offline.fit`).
- ``own_vocabulary`` (when the type vocabulary is known): whether a type's targets score higher
  in its own log-odds vocabulary than in the other types' (``share_own_higher``; 0.5 = chance)
  and how often a target is among its own type's distinctive words vs another type's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from datagen.masked.offline.fit import fits
from datagen.masked.offline.vocabulary import TypeVocabulary
from schemas.labels import MBTI
from schemas.records import MASK


def _jsd_matrix(p: np.ndarray) -> np.ndarray:
    """Pairwise Jensen-Shannon divergences (base 2) of the rows of ``p``."""
    m = (p[:, None, :] + p[None, :, :]) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * np.log2(a / np.where(b > 0, b, 1)), 0.0)
        return terms.sum(axis=-1)

    return 0.5 * kl(p[:, None, :], m) + 0.5 * kl(p[None, :, :], m)


def type_divergence(
    records: Sequence[dict],
    vocabulary: TypeVocabulary | None = None,
    lang: str = "en",
    base: Mapping[str, str] | None = None,
) -> dict:
    """The divergence report of a ``masked`` data set (only sentences with all 16 types);
    ``base``: the base sentences by id (for ``slot_fit``)."""
    complete = complete_sentences(records)
    out: dict = {"sentences": len(complete)}
    if not complete:
        return out
    labels = MBTI.labels
    upper = np.triu_indices(len(labels), k=1)
    jsds, differs, poles = [], defaultdict(list), defaultdict(list)
    flips = {
        name: [(i, labels.index(_flip(t, a))) for i, t in enumerate(labels) if t[a] == pole]
        for a, (name, pole) in enumerate(zip(MBTI.axis_names, "ESTJ", strict=True))
    }
    for rows in complete:
        words = sorted({c["word"] for r in rows.values() for c in r["candidates"]})
        col = {w: j for j, w in enumerate(words)}
        p = np.zeros((len(labels), len(words)))
        for i, t in enumerate(labels):
            for c in rows[t]["candidates"]:
                p[i, col[c["word"]]] += c["prob"]
        p /= p.sum(axis=1, keepdims=True)
        jsds.append(float(_jsd_matrix(p)[upper].mean()))
        for a, name in enumerate(MBTI.axis_names):
            side = np.array([t[a] == "ESTJ"[a] for t in labels])
            pooled = np.stack([p[side].mean(axis=0), p[~side].mean(axis=0)])
            poles[name].append(float(_jsd_matrix(pooled)[0, 1]))
        for name, pairs in flips.items():
            differs[name].extend(
                rows[labels[i]]["target"] != rows[labels[j]]["target"] for i, j in pairs
            )
    out["mean_jsd"] = round(float(np.mean(jsds)), 4)
    out["axis_top1_differs"] = {k: round(float(np.mean(v)), 4) for k, v in differs.items()}
    out["axis_pole_jsd"] = {k: round(float(np.mean(v)), 4) for k, v in poles.items()}
    out["distinct_targets_per_sentence"] = distinct_targets(complete)
    if base is not None and lang == "en":
        out["slot_fit"] = slot_fit(records, base)
    if vocabulary is not None:
        out["own_vocabulary"] = _own_vocabulary(complete, vocabulary, lang)
    return out


def by_sentence(records: Iterable[dict]) -> dict[str, dict[str, dict]]:
    """The rows of each base sentence by type, in first-seen order."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in records:
        out[r["base_id"]][r["label"]] = r
    return out


def complete_sentences(records: Iterable[dict]) -> list[dict[str, dict]]:
    """The rows by type of each sentence that has all 16 types."""
    return [rows for rows in by_sentence(records).values() if len(rows) == len(MBTI.labels)]


def distinct_targets(complete: Sequence[dict[str, dict]]) -> float:
    """Mean number of distinct targets (top fills) of a sentence across its 16 types."""
    counts = [len({r["target"] for r in rows.values()}) for rows in complete]
    return round(float(np.mean(counts)), 3)


def masked_word(base: str, masked: str) -> tuple[str, str]:
    """``(text before the slot, the word the slot replaced)`` of a masked row."""
    before, after = masked.split(MASK)
    return before, base[len(before) : len(base) - len(after)].strip()


def slot_fit(records: Sequence[dict], base: Mapping[str, str]) -> dict:
    """Share of rows whose every candidate fits the slot, and whose target does."""
    every, target = [], []
    for r in records:
        before, original = masked_word(base[r["base_id"]], r["text"])
        ok = [bool(fits(original, c["word"], before)) for c in r["candidates"]]
        every.append(all(ok))
        target.append(ok[0])
    return {
        "rows": len(records),
        "all_candidates_fit": round(float(np.mean(every)), 4) if every else None,
        "target_fits": round(float(np.mean(target)), 4) if target else None,
    }


def _flip(label: str, axis: int) -> str:
    pair = MBTI.axes[axis]
    letter = pair[1] if label[axis] == pair[0] else pair[0]
    return label[:axis] + letter + label[axis + 1 :]


def _own_vocabulary(complete: list[dict], vocabulary: TypeVocabulary, lang: str) -> dict:
    labels = MBTI.labels
    own_higher, advantage, in_own, in_other = [], [], [], []
    for rows in complete:
        for t, r in rows.items():
            word = r["target"] if lang == "ko" else r["target"].lower()
            scores = {u: vocabulary.score(u, word) for u in labels}
            others = [scores[u] for u in labels if u != t]
            own_higher.append(scores[t] > np.mean(others))
            advantage.append(scores[t] - np.mean(others))
            in_own.append(word in vocabulary.own[t])
            in_other.append(np.mean([word in vocabulary.own[u] for u in labels if u != t]))
    return {
        "share_own_higher": round(float(np.mean(own_higher)), 4),
        "mean_logodds_advantage": round(float(np.mean(advantage)), 4),
        "target_in_own_top_words": round(float(np.mean(in_own)), 4),
        "target_in_other_top_words": round(float(np.mean(in_other)), 4),
    }
