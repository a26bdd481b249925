"""What the sigmoid tasks (``multi`` and ``mbti``) share: one binary output per label or
axis, ``pos_weight`` class weights, and static (0.5) or dev-tuned cut-offs: one per output
("dynamic") or one for all outputs ("global")."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import datasets
import numpy as np
import torch

from schemas.errors import InputError
from train.tasks.base import Task, bce_rows, pos_weight_of
from train.tasks.metrics import predict_bits, tune_global_cutoffs, tune_thresholds

THRESHOLD_MODES = ("auto", "static", "dynamic", "global")


@dataclasses.dataclass(frozen=True)
class SigmoidTask(Task):
    """``thresholds``: ``static`` (0.5), ``dynamic`` (one per output, tuned on dev for its
    F1), ``global`` (one for all outputs, tuned on dev for micro-F1, on scores with
    ``pos_weight``'s shift taken out) or ``auto`` (the task's
    ``auto_thresholds``); ``cutoffs``: one per output once tuned; ``class_weights``: fit sets
    ``pos_weight`` = negatives / positives per output."""

    problem_type: ClassVar[str] = "multi_label_classification"
    tune_average: ClassVar[str] = "binary"
    """The F1 that a dynamic cut-off maximises on dev."""
    auto_thresholds: ClassVar[str] = "static"
    """What ``auto`` means for the task."""
    thresholds: Literal["auto", "static", "dynamic", "global"] = "auto"
    cutoffs: tuple[float, ...] = ()
    class_weights: bool = True
    pos_weight: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.thresholds not in THRESHOLD_MODES:
            raise InputError(
                f"unknown thresholds {self.thresholds!r} ({', '.join(THRESHOLD_MODES)})",
                field="--thresholds",
            )

    @property
    def threshold_mode(self) -> str:
        """``thresholds`` with ``auto`` resolved."""
        return self.auto_thresholds if self.thresholds == "auto" else self.thresholds

    def with_class_weights(self, ds: datasets.Dataset, *, file: str) -> SigmoidTask:
        """The task with ``pos_weight`` from ``ds``'s targets (when class weights are on)."""
        if not self.class_weights:
            return self
        return dataclasses.replace(self, pos_weight=pos_weight_of(self.targets(ds, file=file)))

    @property
    def active_cutoffs(self) -> tuple[float, ...]:
        return self.cutoffs or (0.5,) * self.n_outputs

    def row_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return bce_rows(logits, targets, self.pos_weight)

    def tune(self, targets: np.ndarray, scores: np.ndarray) -> SigmoidTask:
        mode = self.threshold_mode
        if mode == "static":
            return self
        if len(targets) == 0:
            raise InputError(f"{mode} thresholds need dev rows (the dev split is empty)")
        if mode == "global":
            cuts = tune_global_cutoffs(targets, scores, self.pos_weight)
        else:
            cuts = tune_thresholds(targets, scores, average=self.tune_average)
        return dataclasses.replace(self, cutoffs=tuple(cuts))

    def describe(self, scores: np.ndarray) -> dict[str, Any]:
        """The answer with each output's cut-off."""
        out = super().describe(scores)
        out["cutoffs"] = {
            n: round(float(c), 6)
            for n, c in zip(self.output_names, self.active_cutoffs, strict=True)
        }
        return out

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """``[n, n_outputs]`` 0/1 decisions at the active cut-offs."""
        return predict_bits(np.asarray(scores).reshape(-1, self.n_outputs), self.active_cutoffs)
