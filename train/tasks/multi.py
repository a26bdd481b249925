"""``multi``: several labels per text (a list column or a delimited string), sigmoid per
label, reported as the multi-label study did: AUC, Hamming loss and micro/macro-F1 at the
chosen cut-offs and at 0.5."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, ClassVar

import datasets
import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from schemas.errors import InputError
from train.tasks.base import check_label_column
from train.tasks.sigmoid import SigmoidTask
from train.tasks.vocab import NamedLabels, labels_from_values, one_label, split_values


@dataclasses.dataclass(frozen=True)
class MultiLabelTask(NamedLabels, SigmoidTask):
    """``labels``: the label set (``--labels FILE``, else the union over the training rows);
    ``label_sep``: the separator of a delimited string cell."""

    name: ClassVar[str] = "multi"
    prediction_key: ClassVar[str] = "labels"
    dev_metric: ClassVar[str] = "macro_f1"
    auto_thresholds: ClassVar[str] = "global"
    """With ``pos_weight`` (negatives / positives, up to hundreds for rare labels) a 0.5 cut-off
    is each label's base rate: GoEmotions' 28 labels were predicted 4.5x as often as they occur
    (Hamming 19 %). One cut-off tuned on dev for micro-F1, on scores with each label's
    ``pos_weight`` shift taken out, keeps the count near the truth."""
    default_epochs: ClassVar[float | None] = 5.0
    """28 sigmoid outputs with rare labels learn slower than one softmax: on GoEmotions (3,000
    rows, 3 seeds) 5 epochs beat the frozen encoder and TF-IDF on AUC, micro-F1 and Hamming
    loss (86.3 / 48.2 / 4.6 vs 83.3 / 43.4 / 5.5); 3 epochs were level with them."""
    report_metrics: ClassVar[tuple[str, ...]] = (
        "auc_macro",
        "hamming_loss",
        *(f"{avg}_f1{at}" for at in ("", "_static") for avg in ("micro", "macro")),
    )
    labels: tuple[str, ...] = ()
    label_sep: str = ","

    def cells(self, ds: datasets.Dataset, *, file: str) -> list[list[Any]]:
        """Every row's label values, split."""
        check_label_column(ds, file=file)
        out = []
        for row, value in enumerate(ds["label"], start=1):
            if value is None:
                raise InputError("missing label", file=file, row=row, field="label")
            out.append(split_values(value, self.label_sep, file=file, row=row))
        return out

    def fit(self, ds: datasets.Dataset, *, file: str) -> MultiLabelTask:
        labels = self.labels
        if not labels:
            values = [v for cell in self.cells(ds, file=file) for v in cell]
            labels = labels_from_values(values, file=file).labels
        if len(labels) < 2:
            raise InputError(
                f"fewer than two labels in the training data ({', '.join(labels) or 'none'})",
                file=file,
                field="label",
            )
        task = dataclasses.replace(self, labels=tuple(labels))
        return task.with_class_weights(ds, file=file)

    def encode(self, value: Any, *, file: str, row: int) -> list[float]:
        out = [0.0] * len(self.labels)
        if value is None:
            raise InputError("missing label", file=file, row=row, field="label")
        for v in split_values(value, self.label_sep, file=file, row=row):
            out[one_label(v, self.label_set, file=file, row=row)] = 1.0
        return out

    def strata(self, ds: datasets.Dataset) -> list[str]:
        """The row's rarest label would be best; its first label is close and cheap."""
        cells = self.cells(ds, file="<data>")
        return [str(cell[0]) if cell else "" for cell in cells]

    def predictions(self, scores: np.ndarray) -> list[list[str]]:
        return [
            [lab for lab, on in zip(self.labels, row, strict=True) if on]
            for row in self.decide(scores)
        ]

    def majority(self, train_targets: np.ndarray) -> np.ndarray:
        """The most frequent label combination of the training rows."""
        combos = Counter(tuple(row) for row in (np.asarray(train_targets) >= 0.5).astype(int))
        return np.asarray(combos.most_common(1)[0][0], dtype=float)

    def metrics(
        self, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray | None = None
    ) -> dict[str, Any]:
        """``auc_macro`` (over labels with both classes in ``targets``), ``hamming_loss``,
        ``micro_f1``/``macro_f1`` at the cut-offs, ``micro_f1_static``/``macro_f1_static``
        at 0.5; with ``train_targets`` the majority combination's micro/macro-F1."""
        y = (np.asarray(targets) >= 0.5).astype(int)
        scores = np.asarray(scores, dtype=float)
        pred = self.decide(scores)
        static = dataclasses.replace(self, cutoffs=()).decide(scores)
        aucs = {
            lab: float(roc_auc_score(y[:, j], scores[:, j]))
            for j, lab in enumerate(self.labels)
            if len(np.unique(y[:, j])) == 2
        }
        per_label = f1_score(y, pred, average=None, zero_division=0)
        out: dict[str, Any] = {
            "auc_macro": float(np.mean(list(aucs.values()))) if aucs else None,
            "hamming_loss": float(np.mean(pred != y)),
            **_f1s(y, pred),
            **{f"{k}_static": v for k, v in _f1s(y, static).items()},
            "thresholds_mode": self.threshold_mode,
            "per_label": {
                lab: {
                    "f1": float(per_label[j]),
                    "auc": aucs.get(lab),
                    "threshold": float(self.active_cutoffs[j]),
                    "support": int(y[:, j].sum()),
                }
                for j, lab in enumerate(self.labels)
            },
        }
        if train_targets is not None:
            major = (self.majority_scores(train_targets, len(y)) >= 0.5).astype(int)
            out.update({f"majority_{k}": v for k, v in _f1s(y, major).items()})
        return out


def _f1s(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        f"{avg}_f1": float(f1_score(y, pred, average=avg, zero_division=0))
        for avg in ("micro", "macro")
    }
