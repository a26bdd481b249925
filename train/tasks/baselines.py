"""The classic baselines of any task, scored by the task's own metrics.

* majority: the task's :meth:`~train.tasks.base.Task.majority` (most frequent label, label
  combination or pole; the mean score).
* TF-IDF + linear model: word 1–2-gram TF-IDF with multinomial logistic regression
  (``single``), one logistic regression per output (``multi``, ``mbti``: balanced class
  weights when the task uses class weights, cut-offs tuned on dev as the task says), or for
  ``regression`` a ridge regression on three similarities of the pair (word and character
  TF-IDF cosines, word overlap).
"""

from __future__ import annotations

from dataclasses import dataclass

import datasets
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import normalize

from train.tasks.base import Task
from train.tasks.columns import TaskData
from train.tasks.sigmoid import SigmoidTask


@dataclass
class BaselineResult:
    """Test metrics, the (tuned) task and the test scores ``[n, n_outputs]``."""

    metrics: dict
    task: Task
    test_scores: np.ndarray


def majority_baseline(data: TaskData) -> BaselineResult:
    """Always predict the training majority."""
    task = data.task
    train = task.targets(data.train, file=data.source)
    test = task.targets(data.test, file=data.source)
    scores = task.majority_scores(train, len(test))
    return BaselineResult(task.metrics(test, scores), task, scores)


def tfidf_baseline(data: TaskData, *, seed: int = 0) -> BaselineResult:
    """Fit TF-IDF + the task's linear model on train; tune on dev; score test."""
    task = data.task
    splits = {"train": data.train, "dev": data.dev, "test": data.test}
    y = {name: task.targets(ds, file=f"{data.source} ({name})") for name, ds in splits.items()}
    if task.needs_pair:
        scores = _pair_ridge(splits, y["train"], seed)
    else:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
        x = {"train": vectorizer.fit_transform(task.texts(data.train))}
        width = x["train"].shape[1]
        x.update(
            {
                n: vectorizer.transform(task.texts(splits[n]))
                if len(splits[n])
                else sparse.csr_matrix((0, width))
                for n in ("dev", "test")
            }
        )
        if isinstance(task, SigmoidTask):
            scores = _per_output_logreg(x, y["train"], task.class_weights, seed)
        else:
            scores = _softmax_logreg(x, y["train"], seed)
    task = task.tune(y["dev"], scores["dev"]) if len(y["dev"]) else task
    metrics = task.metrics(y["test"], scores["test"], y["train"])
    return BaselineResult(metrics, task, scores["test"])


def _softmax_logreg(x: dict, y_train: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    clf = LogisticRegression(max_iter=1000, random_state=seed)
    clf.fit(x["train"], y_train.argmax(axis=1))
    out = {}
    for name in ("dev", "test"):
        probs = np.zeros((x[name].shape[0], y_train.shape[1]))
        if x[name].shape[0]:
            probs[:, clf.classes_] = clf.predict_proba(x[name])
        out[name] = probs
    return out


def _per_output_logreg(
    x: dict, y_train: np.ndarray, balanced: bool, seed: int
) -> dict[str, np.ndarray]:
    out = {name: np.zeros((x[name].shape[0], y_train.shape[1])) for name in ("dev", "test")}
    for j in range(y_train.shape[1]):
        column = y_train[:, j].astype(int)
        if len(np.unique(column)) < 2:  # a label absent from (or on every) training row
            for name in out:
                out[name][:, j] = float(column[0])
            continue
        clf = LogisticRegression(
            max_iter=1000, class_weight="balanced" if balanced else None, random_state=seed
        )
        clf.fit(x["train"], column)
        for name in out:
            if x[name].shape[0]:
                out[name][:, j] = clf.predict_proba(x[name])[:, 1]
    return out


def _pair_ridge(splits: dict, y_train: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    train = splits["train"]
    corpus = list(train["text"]) + list(train["text_pair"])
    vectorizers = [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(corpus),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(corpus),
    ]

    def features(ds: datasets.Dataset) -> np.ndarray:
        a, b = list(ds["text"]), list(ds["text_pair"])
        cols = [_cosine(v.transform(a), v.transform(b)) for v in vectorizers]
        cols.append(np.asarray([_overlap(s, t) for s, t in zip(a, b, strict=True)]))
        return np.stack(cols, axis=1) if len(a) else np.zeros((0, len(cols)))

    ridge = Ridge(alpha=1.0, random_state=seed).fit(features(train), y_train[:, 0])
    return {
        name: np.clip(ridge.predict(features(splits[name])), 0, 1).reshape(-1, 1)
        if len(splits[name])
        else np.zeros((0, 1))
        for name in ("dev", "test")
    }


def _cosine(a: sparse.spmatrix, b: sparse.spmatrix) -> np.ndarray:
    return np.asarray(normalize(a).multiply(normalize(b)).sum(axis=1)).reshape(-1)


def _overlap(a: str, b: str) -> float:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0
