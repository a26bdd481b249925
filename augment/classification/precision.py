"""Silver precision estimated on held-out gold: k-fold out-of-fold teacher probabilities (the
teacher retrained per fold; folds grouped by author when gold has authors), then, per class,
the precision and yield of every confidence cut-off and the lowest cut-off reaching a wanted
precision (``--min-precision``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from augment.classification.teachers import Teacher

THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.1, 1.0, 0.05)) + (0.99,)
#: A cut-off counts only when at least this many held-out rows pass it.
MIN_SUPPORT = 5


@dataclass
class CurvePoint:
    threshold: float
    selected: int
    correct: int
    hidden: int
    per_class: dict[str, tuple[int, int]]  # silver label -> (correct, selected)

    @property
    def precision(self) -> float | None:
        return self.correct / self.selected if self.selected else None

    @property
    def yield_(self) -> float:
        return self.selected / self.hidden if self.hidden else 0.0


@dataclass
class ClassCutoff:
    """Held-out precision of class ``label`` at ``cutoff`` (None: no cut-off reaches it)."""

    label: str
    cutoff: float | None
    precision: float | None
    yield_: float
    support: int
    best_precision: float | None = None


@dataclass
class PrecisionEstimate:
    threshold: float
    folds: int
    curve: list[CurvePoint]
    oof: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = ()

    @property
    def at_threshold(self) -> CurvePoint:
        return next(p for p in self.curve if np.isclose(p.threshold, self.threshold))

    def at_cutoff(self, label: str, cutoff: float) -> ClassCutoff:
        """Held-out precision / yield of rows whose top label is ``label`` with p >= cutoff."""
        c = self.labels.index(label)
        top, conf = self.oof.argmax(axis=1), self.oof.max(axis=1)
        sel = (top == c) & (conf >= cutoff) & (conf > 0)
        n = int(sel.sum())
        ok = int((self.y[sel] == c).sum())
        truth = int((self.y == c).sum())
        return ClassCutoff(label, cutoff, ok / n if n else None, ok / truth if truth else 0.0, n)

    def cutoff_for(self, label: str, min_precision: float) -> ClassCutoff:
        """The lowest cut-off whose held-out precision for ``label`` is >= ``min_precision``
        with at least ``MIN_SUPPORT`` rows passing."""
        c = self.labels.index(label)
        top, conf = self.oof.argmax(axis=1), self.oof.max(axis=1)
        rows = np.nonzero((top == c) & (conf > 0))[0]
        rows = rows[np.argsort(-conf[rows], kind="stable")]
        hits = np.cumsum(self.y[rows] == c)
        prec = hits / np.arange(1, len(rows) + 1)
        truth = max(1, int((self.y == c).sum()))
        good = [i for i in range(MIN_SUPPORT - 1, len(rows)) if prec[i] >= min_precision]
        best = float(prec[MIN_SUPPORT - 1 :].max()) if len(rows) >= MIN_SUPPORT else None
        if not good:
            return ClassCutoff(label, None, None, 0.0, 0, best)
        i = max(good)
        return ClassCutoff(
            label, float(conf[rows[i]]), float(prec[i]), hits[i] / truth, i + 1, best
        )


def oof_proba(
    make_teacher: Callable[[], Teacher],
    emb: np.ndarray,
    texts: Sequence[str],
    y: np.ndarray,
    *,
    folds: int,
    seed: int = 0,
    groups: Sequence[str] | None = None,
) -> np.ndarray:
    """Out-of-fold probabilities on gold: each fold is labelled by a teacher trained on the
    others (by one teacher when it does not learn from gold)."""
    teacher = make_teacher()
    if not teacher.trains_on_gold:
        return teacher.predict_proba(emb, texts)
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    out = np.zeros((len(y), len(teacher.labels)), dtype=np.float32)
    if groups is not None and len(set(groups)) >= folds:
        splits = GroupKFold(n_splits=folds).split(emb, y, groups)
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # rare classes have fewer rows than k
            splits = list(splitter.split(emb, y))
    for train, hidden in splits:
        fitted = make_teacher().fit(emb[train], [texts[i] for i in train], y[train])
        out[hidden] = fitted.predict_proba(emb[hidden], [texts[i] for i in hidden])
    return out


def estimate_precision(
    oof: np.ndarray,
    y: np.ndarray,
    label_order: Sequence[str],
    classes: Sequence[str],
    *,
    threshold: float,
    folds: int,
    thresholds: Sequence[float] = THRESHOLDS,
) -> PrecisionEstimate:
    """Precision of held-out gold rows whose top label is one of ``classes`` (those that
    receive silver) and yield (their share of all held-out rows), at ``threshold`` and every
    value of ``thresholds``."""
    labels = tuple(label_order)
    wanted = np.isin(np.arange(len(labels)), [labels.index(c) for c in classes])
    top, conf = oof.argmax(axis=1), oof.max(axis=1)
    hidden = len(y)
    curve = []
    for t in sorted(set(thresholds) | {threshold}):
        sel = wanted[top] & (conf >= t) & (conf > 0)
        per_class = {
            labels[c]: (int((y[sel & (top == c)] == c).sum()), int((sel & (top == c)).sum()))
            for c in np.unique(top[sel])
        }
        correct = int((y[sel] == top[sel]).sum())
        curve.append(CurvePoint(t, int(sel.sum()), correct, hidden, per_class))
    return PrecisionEstimate(threshold, folds, curve, oof, y, labels)
