"""``single``: one label per text from any label set; softmax over the labels."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import datasets
import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

from schemas.errors import InputError
from train.tasks.base import Task, check_label_column, softmax
from train.tasks.vocab import NamedLabels, labels_from_values, one_label


@dataclasses.dataclass(frozen=True)
class SingleLabelTask(NamedLabels, Task):
    """``labels``: the label set (from ``--labels FILE``, else read from the training data)."""

    name: ClassVar[str] = "single"
    problem_type: ClassVar[str] = "single_label_classification"
    dev_metric: ClassVar[str] = "macro_f1"
    report_metrics: ClassVar[tuple[str, ...]] = ("accuracy", "macro_f1")
    labels: tuple[str, ...] = ()

    def fit(self, ds: datasets.Dataset, *, file: str) -> SingleLabelTask:
        check_label_column(ds, file=file)
        labels = self.labels or labels_from_values(ds["label"], file=file).labels
        task = dataclasses.replace(self, labels=tuple(labels))
        counts = task.targets(ds, file=file).sum(axis=0)
        present = [lab for lab, n in zip(labels, counts, strict=True) if n > 0]
        if len(present) < 2:
            raise InputError(
                f"fewer than two classes in the training data ({', '.join(present) or 'none'})",
                file=file,
                field="label",
            )
        return task

    def encode(self, value: Any, *, file: str, row: int) -> list[float]:
        out = [0.0] * len(self.labels)
        out[one_label(value, self.label_set, file=file, row=row)] = 1.0
        return out

    def row_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(logits, targets, reduction="none")

    def scores(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits)

    def predictions(self, scores: np.ndarray) -> list[str]:
        return [self.labels[i] for i in np.asarray(scores).argmax(axis=1)]

    def majority(self, train_targets: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self.labels))
        out[int(np.asarray(train_targets).sum(axis=0).argmax())] = 1.0
        return out

    def metrics(
        self, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray | None = None
    ) -> dict[str, Any]:
        """``accuracy``, ``macro_f1``, per-label F1; with ``train_targets`` the majority
        baseline's ``majority_accuracy`` and ``majority_macro_f1``."""
        y, pred = np.asarray(targets).argmax(axis=1), np.asarray(scores).argmax(axis=1)
        ids = list(range(len(self.labels)))
        per_label = f1_score(y, pred, labels=ids, average=None, zero_division=0)
        out: dict[str, Any] = {
            "accuracy": float(accuracy_score(y, pred)),
            "macro_f1": _macro_f1(y, pred),
            "per_label_f1": {lab: float(f) for lab, f in zip(self.labels, per_label, strict=True)},
        }
        if train_targets is not None:
            major = self.majority_scores(train_targets, len(y)).argmax(axis=1)
            out["majority_accuracy"] = float(accuracy_score(y, major))
            out["majority_macro_f1"] = _macro_f1(y, major)
        return out


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the labels that occur in ``y`` or ``pred``."""
    return float(f1_score(y, pred, average="macro", zero_division=0))
