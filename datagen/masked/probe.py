"""The type probe of a ``masked`` data set: how much of a row's type its fills give away, the
most phase 2 can learn from them.

Each row of a sentence with all 16 types is a bag of words: its candidates weighted by their
probability plus its target (``DictVectorizer``). A logistic regression per axis (four binary
probes with liblinear; one 16-way model took ~30 times longer on 900 x 16 rows) predicts the
row's pole; the predicted type is the four predicted poles. Cross-validated with folds grouped
by base sentence (no sentence in both train and test; :data:`FOLDS`, fewer when there are fewer
sentences). Chance: 0.5 per axis and 1/16 for the type (every sentence has each type once).
Beside them: the distinct top fills per sentence across the 16 types.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from datagen.masked.stats import complete_sentences, distinct_targets
from schemas.labels import MBTI

FOLDS = 5
CHANCE = {"axis": 0.5, "type": round(1 / len(MBTI.labels), 4)}


def grouped_folds(groups: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` row indices of each fold: :data:`FOLDS` folds (at most one per group),
    no group on both sides; every row is tested once."""
    from sklearn.model_selection import GroupKFold  # scikit-learn loads in ~2 s: only when used

    n_folds = min(FOLDS, len(set(groups)))
    return list(GroupKFold(n_splits=n_folds).split(np.zeros(len(groups)), groups=groups))


def fill_features(row: dict) -> dict[str, float]:
    """A row's bag of words: each candidate at its probability, and the target."""
    features: dict[str, float] = {}
    for c in row["candidates"]:
        key = f"fill={c['word'].casefold()}"
        features[key] = features.get(key, 0.0) + float(c["prob"])
    features[f"target={row['target'].casefold()}"] = 1.0
    return features


def type_probe(records: Sequence[dict]) -> dict:
    """The probe's figures (accuracies ``None`` with fewer than two complete sentences)."""
    complete = complete_sentences(records)
    rows = [r for by_type in complete for r in by_type.values()]
    groups = [r["base_id"] for r in rows]
    out: dict = {"n_sentences": len(complete), "folds": 0, "chance": CHANCE}
    out["distinct_top_fills_per_sentence"] = distinct_targets(complete) if complete else None
    if len(complete) < 2:
        return {**out, "axis_accuracy": None, "mean_axis_accuracy": None, "type_accuracy": None}
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    features = DictVectorizer().fit_transform(fill_features(r) for r in rows)
    letters = np.array([list(r["label"]) for r in rows])
    predicted = np.empty_like(letters)
    folds = grouped_folds(groups)
    for train, test in folds:
        for a in range(len(MBTI.axis_names)):
            model = LogisticRegression(solver="liblinear").fit(features[train], letters[train, a])
            predicted[test, a] = model.predict(features[test])
    hits = predicted == letters
    axes = {name: round(float(hits[:, a].mean()), 4) for a, name in enumerate(MBTI.axis_names)}
    out["folds"] = len(folds)
    out["axis_accuracy"] = axes
    out["mean_axis_accuracy"] = round(float(np.mean(list(axes.values()))), 4)
    out["type_accuracy"] = round(float(hits.all(axis=1).mean()), 4)
    return out
