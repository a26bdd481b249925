"""``mbti``: four sigmoid axes (E/I, S/N, T/F, J/P), the type composed from them; the
metrics are :func:`train.metrics.axis_metrics` with the majority baseline per axis, as
phase 3 reports them."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import datasets
import numpy as np

from schemas.errors import InputError
from schemas.labels import AXIS_NAMES, MBTI
from schemas.type_mentions import mask_type_mentions
from train.data import check_both_classes
from train.metrics import axis_metrics, majority_baseline
from train.tasks.sigmoid import SigmoidTask


@dataclasses.dataclass(frozen=True)
class MbtiTask(SigmoidTask):
    """``mask_types``: type mentions in the texts are masked before the model sees them."""

    name: ClassVar[str] = "mbti"
    dev_metric: ClassVar[str] = "mean_axis_accuracy"
    tune_average: ClassVar[str] = "macro"
    report_metrics: ClassVar[tuple[str, ...]] = (
        "mean_axis_accuracy",
        "type_accuracy",
        "hamming_loss",
    )
    mask_types: bool = True

    @property
    def output_names(self) -> tuple[str, ...]:
        return AXIS_NAMES

    def fit(self, ds: datasets.Dataset, *, file: str) -> MbtiTask:
        task = self.with_class_weights(ds, file=file)
        check_both_classes(self.targets(ds, file=file).astype(int), file=file)
        return task  # type: ignore[return-value]

    def encode(self, value: Any, *, file: str, row: int) -> list[float]:
        try:
            return [float(b) for b in MBTI.to_bits(value)]
        except InputError as err:
            raise err.at(file=file, row=row, field="label") from None

    def texts(self, ds: datasets.Dataset) -> list[str]:
        texts = list(ds["text"])
        return [mask_type_mentions(t).text for t in texts] if self.mask_types else texts

    def strata(self, ds: datasets.Dataset) -> list[str]:
        return [str(v).strip().upper() for v in ds["label"]]

    def predictions(self, scores: np.ndarray) -> list[str]:
        return [MBTI.from_bits(bits) for bits in self.decide(scores)]

    def majority(self, train_targets: np.ndarray) -> np.ndarray:
        return (np.asarray(train_targets).mean(axis=0) >= 0.5).astype(float)

    def metrics(
        self, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray | None = None
    ) -> dict[str, Any]:
        out = axis_metrics(targets, scores, self.active_cutoffs)
        out["thresholds_mode"] = self.thresholds
        if train_targets is not None:
            majority = majority_baseline(train_targets, targets)
            for axis in AXIS_NAMES:
                out[axis]["majority_accuracy"] = majority[axis]["accuracy"]
                out[axis]["majority_macro_f1"] = majority[axis]["macro_f1"]
            out["majority_mean_axis_accuracy"] = majority["mean_axis_accuracy"]
        return out
