"""The classic baseline: TF-IDF features and one logistic regression per MBTI axis.

It sees the same splits as phase 3 (type mentions masked, the same class weighting and
thresholds) and is scored by the same :func:`train.metrics.axis_metrics`, so its row in the
report is directly comparable to the fine-tuned encoders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import datasets
import numpy as np

from schemas.labels import AXIS_NAMES
from train.data import axis_bits, check_both_classes, mask_types, parse_labels
from train.metrics import axis_metrics, majority_baseline, tune_thresholds


@dataclass
class BaselineResult:
    """Test metrics (phase-3 layout) and the test probabilities and bits."""

    metrics: dict
    test_probs: np.ndarray
    test_labels: np.ndarray


def _texts_and_bits(ds: datasets.Dataset, name: str, mask: bool) -> tuple[list[str], np.ndarray]:
    if mask:
        ds, _ = mask_types(ds)
    return list(ds["text"]), axis_bits(parse_labels(ds["label"], file=name))


def tfidf_logreg(
    train: datasets.Dataset,
    dev: datasets.Dataset,
    test: datasets.Dataset,
    *,
    class_weights: bool = True,
    thresholds: Literal["static", "dynamic"] = "static",
    mask: bool = True,
    seed: int = 0,
) -> BaselineResult:
    """Fit word 1–2-gram TF-IDF + logistic regression per axis on ``train``; score ``test``.

    ``thresholds="dynamic"`` tunes each axis's threshold on ``dev`` (as phase 3 does).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    x_train, y_train = _texts_and_bits(train, "<training posts>", mask)
    check_both_classes(y_train, file="<training posts>")
    x_dev, y_dev = _texts_and_bits(dev, "<dev posts>", mask)
    x_test, y_test = _texts_and_bits(test, "<test posts>", mask)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    features = vectorizer.fit_transform(x_train)
    tune = thresholds == "dynamic" and len(x_dev) > 0
    test_features = vectorizer.transform(x_test)
    dev_features = vectorizer.transform(x_dev) if tune else None
    dev_probs = np.zeros((len(x_dev), len(AXIS_NAMES)))
    test_probs = np.zeros((len(x_test), len(AXIS_NAMES)))
    for j in range(len(AXIS_NAMES)):
        clf = LogisticRegression(
            max_iter=1000, class_weight="balanced" if class_weights else None, random_state=seed
        )
        clf.fit(features, y_train[:, j])
        test_probs[:, j] = clf.predict_proba(test_features)[:, 1]
        if tune:
            dev_probs[:, j] = clf.predict_proba(dev_features)[:, 1]
    cuts = tune_thresholds(y_dev, dev_probs) if tune else [0.5] * len(AXIS_NAMES)
    metrics = axis_metrics(y_test, test_probs, cuts)
    majority = majority_baseline(y_train, y_test)
    for axis in AXIS_NAMES:
        metrics[axis]["majority_accuracy"] = majority[axis]["accuracy"]
    return BaselineResult(metrics, test_probs, y_test)
