"""The classic baselines of any task, scored by the task's own metrics.

* majority: the task's :meth:`~train.tasks.base.Task.majority` (most frequent label, label
  combination or pole; the mean score).
* TF-IDF + linear model: word 1–2-gram TF-IDF with multinomial logistic regression
  (``single``), one logistic regression per output (``multi``, ``mbti``: balanced class
  weights when the task uses class weights, cut-offs tuned on dev as the task says), or for
  ``regression`` a ridge regression on three similarities of the pair (word and character
  TF-IDF cosines, word overlap).
* frozen encoder + linear model: the same linear models on the encoder's frozen, mean-pooled
  and normalised embeddings (SetFit's head without its contrastive training); ``regression``
  a ridge regression on the pair's ``|u - v|``, ``u * v`` and cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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


def tfidf_baseline(data: TaskData, *, seed: int = 0, c: float = 1.0) -> BaselineResult:
    """Fit TF-IDF + the task's linear model on train; tune on dev; score test. ``c``: the
    logistic regressions' inverse regularisation strength (scikit-learn's ``C``)."""
    task = data.task
    splits = _splits(data)
    if task.needs_pair:
        return _linear(data, _pair_ridge(splits, _targets(data)["train"], seed))
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
    return _linear(data, _classify(task, x, _targets(data)["train"], seed, c))


@dataclass
class FrozenEncoder:
    """An encoder kept frozen: mean-pooled, normalised sentence embeddings of ``model`` (a
    name or path; sentence-transformers adds mean pooling to a plain encoder), remembered per
    text so that a study's seeds and fractions encode each text once."""

    model: str | None
    batch_size: int = 32
    device: str | None = None
    precision: str = "auto"  # as --encode-precision takes it
    backend: str = "auto"  # as --encode-backend takes it
    devices: list[str] | None = None  # --devices: one encoding process per device
    _encoder: Any = field(default=None, init=False, repr=False)
    _seen: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``[n, dim]`` embeddings of ``texts``."""
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            vectors = self._load().encode(
                new,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
                **({"device": self.devices} if self.devices else {}),
            )
            vectors = np.asarray(vectors, dtype=np.float32)
            # bf16 and int8 encoders normalise in their own precision (norms 1 +- 1e-3)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            self._seen.update(zip(new, vectors, strict=True))
        if not texts:
            return np.zeros((0, self._load().get_embedding_dimension()))
        return np.stack([self._seen[t] for t in texts])

    def _load(self) -> Any:
        if self._encoder is None:
            from train.engine.encoding import load_encoder, pool_backend
            from train.engine.logs import quiet_loading

            with quiet_loading():
                backend = pool_backend(self.backend, self.devices)
                self._encoder = load_encoder.__wrapped__(
                    self.model, self.device, self.precision, backend
                )
        return self._encoder


def frozen_baseline(
    data: TaskData, encoder: FrozenEncoder, *, seed: int = 0, c: float = 1.0
) -> BaselineResult:
    """The task's linear model on ``encoder``'s frozen embeddings; tuned on dev, scored on
    test (what fine-tuning must beat to be worth its cost). ``encoder``: anything with
    :meth:`FrozenEncoder.embed`; ``c``: as in :func:`tfidf_baseline`."""
    task = data.task
    splits = _splits(data)
    y_train = _targets(data)["train"]
    if task.needs_pair:

        def features(ds: datasets.Dataset) -> np.ndarray:
            u, v = encoder.embed(list(ds["text"])), encoder.embed(list(ds["text_pair"]))
            return np.hstack([np.abs(u - v), u * v, (u * v).sum(axis=1, keepdims=True)])

        ridge = Ridge(alpha=1.0, random_state=seed).fit(features(splits["train"]), y_train[:, 0])
        scores = {
            n: np.clip(ridge.predict(features(splits[n])), 0, 1).reshape(-1, 1)
            if len(splits[n])
            else np.zeros((0, 1))
            for n in ("dev", "test")
        }
        return _linear(data, scores)
    x = {name: encoder.embed(task.texts(ds)) for name, ds in splits.items()}
    return _linear(data, _classify(task, x, y_train, seed, c))


def _splits(data: TaskData) -> dict[str, datasets.Dataset]:
    return {"train": data.train, "dev": data.dev, "test": data.test}


def _targets(data: TaskData) -> dict[str, np.ndarray]:
    return {
        name: data.task.targets(ds, file=f"{data.source} ({name})")
        for name, ds in _splits(data).items()
    }


def _classify(
    task: Task, x: dict, y_train: np.ndarray, seed: int, c: float = 1.0
) -> dict[str, np.ndarray]:
    """Dev and test scores of the task's linear classifier on the features ``x``."""
    if isinstance(task, SigmoidTask):
        return _per_output_logreg(x, y_train, task.class_weights, seed, c)
    return _softmax_logreg(x, y_train, seed, c)


def _linear(data: TaskData, scores: dict[str, np.ndarray]) -> BaselineResult:
    """The result of a linear baseline's dev/test ``scores``: cut-offs tuned on dev, test
    metrics with the majority's beside them."""
    y = _targets(data)
    task = data.task.tune(y["dev"], scores["dev"]) if len(y["dev"]) else data.task
    return BaselineResult(task.metrics(y["test"], scores["test"], y["train"]), task, scores["test"])


def _softmax_logreg(x: dict, y_train: np.ndarray, seed: int, c: float) -> dict[str, np.ndarray]:
    clf = LogisticRegression(C=c, max_iter=1000, random_state=seed)
    clf.fit(x["train"], y_train.argmax(axis=1))
    out = {}
    for name in ("dev", "test"):
        probs = np.zeros((x[name].shape[0], y_train.shape[1]))
        if x[name].shape[0]:
            probs[:, clf.classes_] = clf.predict_proba(x[name])
        out[name] = probs
    return out


def _per_output_logreg(
    x: dict, y_train: np.ndarray, balanced: bool, seed: int, c: float
) -> dict[str, np.ndarray]:
    out = {name: np.zeros((x[name].shape[0], y_train.shape[1])) for name in ("dev", "test")}
    for j in range(y_train.shape[1]):
        column = y_train[:, j].astype(int)
        if len(np.unique(column)) < 2:  # a label absent from (or on every) training row
            for name in out:
                out[name][:, j] = float(column[0])
            continue
        clf = LogisticRegression(
            C=c, max_iter=1000, class_weight="balanced" if balanced else None, random_state=seed
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
