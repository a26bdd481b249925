"""The downstream check of classification mode (``--eval TEST``): a student trained on gold and
on gold + silver, over several seeds, scored by macro-F1 on a labelled test file; the paired
difference with a t interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from schemas.errors import InputError
from schemas.io import read_table

STUDENTS = ("embed",)


@dataclass
class PairedResult:
    """Per-seed scores of two arms and their paired difference (b - a)."""

    metric: str
    seeds: list[int]
    a: list[float]
    b: list[float]

    @property
    def diff(self) -> np.ndarray:
        return np.asarray(self.b) - np.asarray(self.a)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t interval of the mean paired difference."""
        from scipy.stats import t

        d = self.diff
        half = t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        return float(d.mean() - half), float(d.mean() + half)

    def summary(self) -> dict:
        low, high = self.interval()
        return {
            **asdict(self),
            "mean_a": float(np.mean(self.a)),
            "mean_b": float(np.mean(self.b)),
            "mean_diff": float(self.diff.mean()),
            "ci95": [low, high],
        }


def read_eval(
    path: Path, text_col: str, label_col: str, known: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Texts and labels of the test file; every label must be a gold label."""
    table = read_table(
        path, columns={"text": text_col, "label": label_col}, required=["text", "label"]
    )
    texts, labels = [], []
    for row, (text, label) in enumerate(zip(table["text"], table["label"], strict=True), start=1):
        if not isinstance(text, str) or not text.strip():
            raise InputError("empty or missing text", file=path, row=row, field=text_col)
        label = str(label).strip()
        if label not in known:
            raise InputError(
                f"label {label!r} is not among the gold labels ({', '.join(known)})",
                file=path,
                row=row,
                field=label_col,
            )
        texts.append(text)
        labels.append(label)
    if not texts:
        raise InputError("no test rows", file=path)
    return texts, labels


def embed_student_check(
    gold_emb: np.ndarray,
    gold_y: np.ndarray,
    silver_emb: np.ndarray,
    silver_y: np.ndarray,
    test_emb: np.ndarray,
    test_y: np.ndarray,
    seeds: Sequence[int],
) -> PairedResult:
    """Logistic regression on frozen embeddings (the fast CPU student). Seed ``s`` draws one
    bootstrap sample of gold and one of silver; both arms share the gold sample, so the
    difference is paired. Macro-F1 x 100 on the test rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    labels = np.unique(np.r_[gold_y, test_y])
    gold_arm, silver_arm = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        g = rng.integers(0, len(gold_y), len(gold_y))
        s = rng.integers(0, len(silver_y), len(silver_y))
        for arm, (x, y) in (
            (gold_arm, (gold_emb[g], gold_y[g])),
            (silver_arm, (np.r_[gold_emb[g], silver_emb[s]], np.r_[gold_y[g], silver_y[s]])),
        ):
            model = LogisticRegression(max_iter=3000, random_state=seed).fit(x, y)
            pred = model.predict(test_emb)
            arm.append(100 * f1_score(test_y, pred, labels=labels, average="macro"))
    return PairedResult("macro_f1", list(seeds), gold_arm, silver_arm)
