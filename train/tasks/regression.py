"""``regression``: sentence pairs -> a similarity score (STS), learnt scaled to [0, 1].

The model's one output goes through a sigmoid and is trained with MSE against the score
scaled from ``score_range`` to [0, 1] (scores are reported back on the original scale).
``binary_threshold`` (on the original scale, e.g. 3.0 of 0–5) adds binary
precision/recall/F1/accuracy, as the STS project reported beside Pearson.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import datasets
import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from schemas.errors import InputError
from train.tasks.base import Task


@dataclasses.dataclass(frozen=True)
class RegressionTask(Task):
    """``score_range``: (low, high) of valid scores; ``binary_threshold``: see the module."""

    name: ClassVar[str] = "regression"
    prediction_key: ClassVar[str] = "score"
    problem_type: ClassVar[str] = "regression"
    dev_metric: ClassVar[str] = "pearson"
    needs_pair: ClassVar[bool] = True
    report_metrics: ClassVar[tuple[str, ...]] = ("pearson", "spearman", "binary_f1")
    score_range: tuple[float, float] = (0.0, 5.0)
    binary_threshold: float | None = None

    def __post_init__(self) -> None:
        low, high = self.score_range
        if not low < high:
            raise InputError(f"score range needs LOW < HIGH, got {low},{high}")
        if self.binary_threshold is not None and not low < self.binary_threshold < high:
            raise InputError(
                f"--binary-threshold {self.binary_threshold} is outside the score range "
                f"{low:g}..{high:g}"
            )

    @property
    def output_names(self) -> tuple[str, ...]:
        return ("score",)

    def fit(self, ds: datasets.Dataset, *, file: str) -> RegressionTask:
        if "text_pair" not in ds.column_names:
            raise InputError(
                "regression scores sentence pairs: name the second sentence's column with "
                "--text-pair-col",
                file=file,
                field="text_pair",
            )
        if len(np.unique(self.targets(ds, file=file))) < 2:
            raise InputError("every score is the same; nothing to learn", file=file, field="label")
        return self

    def encode(self, value: Any, *, file: str, row: int) -> list[float]:
        low, high = self.score_range
        try:
            score = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"score {value!r} is not a number", file=file, row=row, field="label"
            ) from None
        if isinstance(value, bool) or not math.isfinite(score) or not low <= score <= high:
            raise InputError(
                f"score {value!r} is outside the score range {low:g}..{high:g}",
                file=file,
                row=row,
                field="label",
            )
        return [(score - low) / (high - low)]

    def strata(self, ds: datasets.Dataset) -> list[str]:
        """Whole-point score bins (0-1, 1-2, ...) on the original scale."""
        return [str(int(float(v))) if _is_number(v) else "" for v in ds["label"]]

    def row_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return ((torch.sigmoid(logits) - targets) ** 2).mean(dim=1)

    @property
    def phase_labels(self) -> tuple[str, ...]:
        return ()

    def predictions(self, scores: np.ndarray) -> list[float]:
        low, high = self.score_range
        return [float(low + s * (high - low)) for s in np.asarray(scores).reshape(-1)]

    def majority(self, train_targets: np.ndarray) -> np.ndarray:
        """The mean training score."""
        return np.asarray(train_targets, dtype=float).mean(axis=0)

    def metrics(
        self, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray | None = None
    ) -> dict[str, Any]:
        """``pearson``, ``spearman`` (``None`` where either side is constant), ``mse`` on the
        original scale; ``binary_*`` with a threshold; with ``train_targets`` the mean
        score's ``majority_mse``."""
        y = np.asarray(targets, dtype=float).reshape(-1)
        s = np.asarray(scores, dtype=float).reshape(-1)
        width = self.score_range[1] - self.score_range[0]
        varies = len(y) > 1 and np.ptp(y) > 0 and np.ptp(s) > 0
        out: dict[str, Any] = {
            "pearson": float(pearsonr(y, s).statistic) if varies else None,
            "spearman": float(spearmanr(y, s).statistic) if varies else None,
            "mse": float(np.mean((y - s) ** 2) * width**2),
        }
        if self.binary_threshold is not None:
            cut = (self.binary_threshold - self.score_range[0]) / width
            true, pred = (y >= cut).astype(int), (s >= cut).astype(int)
            p, r, f, _ = precision_recall_fscore_support(
                true, pred, average="binary", zero_division=0
            )
            out.update(
                binary_threshold=self.binary_threshold,
                binary_precision=float(p),
                binary_recall=float(r),
                binary_f1=float(f),
                binary_accuracy=float(accuracy_score(true, pred)),
            )
        if train_targets is not None:
            mean = self.majority_scores(train_targets, len(y)).reshape(-1)
            out["majority_mse"] = float(np.mean((y - mean) ** 2) * width**2)
        return out


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
