"""``--teacher finetune``: the embedder fine-tuned as a single-label classifier on gold
(SentAugment style) by ``train``'s engine, temperature-calibrated on a held-out fifth of gold."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from schemas.models import resolve_model
from train.engine.args import TrainArgs

#: CPU-feasible settings: 5 epochs over gold and at least 200 optimiser steps, batch 16, the new
#: head at 1e-3 and the encoder at 5e-5, 64 tokens; no dev split (nothing to select or stop on)
TEACHER_ARGS = TrainArgs(
    epochs=5, min_steps=200, batch_size=16, lr=5e-5, head_lr=1e-3, max_length=64,
    early_stopping_patience=None, progress=False,
)  # fmt: skip
#: rows per forward pass when the teacher labels texts
PREDICT_BATCH = 64


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature (0.25-5, log grid) with the lowest NLL on held-out logits."""
    best, best_t = np.inf, 1.0
    for t in np.exp(np.linspace(np.log(0.25), np.log(5.0), 40)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


class FinetuneTeacher:
    """``train``'s task model for one label per text (the embedder's transformer, mean pooling
    and the study's new head) fine-tuned on 4/5 of gold by :func:`train.phases.phase3.finetune`
    with ``args`` (default :data:`TEACHER_ARGS`, seeded by ``seed``); the softmax temperature is
    fitted on the held-out fifth (no temperature when a class has fewer than 5 rows)."""

    name = "finetune"
    trains_on_gold = True

    def __init__(
        self,
        labels: Sequence[str],
        seed: int = 0,
        *,
        embedder: str | None = None,
        args: TrainArgs = TEACHER_ARGS,
    ):
        self.labels = tuple(labels)
        self.seed = seed
        self.path = resolve_model(embedder)
        self.args = dataclasses.replace(args, seed=seed)
        self.temperature = 1.0

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> FinetuneTeacher:
        train = np.arange(len(y))
        held = np.zeros(0, dtype=np.int64)
        if np.bincount(y, minlength=len(self.labels)).min() >= 5:
            from sklearn.model_selection import train_test_split

            train, held = train_test_split(train, test_size=0.2, stratify=y, random_state=self.seed)
        self._train([texts[i] for i in train], y[train])
        if len(held):
            self.temperature = fit_temperature(self._logits([texts[i] for i in held]), y[held])
        return self

    def _train(self, texts: list[str], y: np.ndarray) -> None:
        import datasets

        from train.engine.logs import no_progress_bars, quiet_loading
        from train.phases.phase3 import finetune
        from train.tasks.columns import TaskData
        from train.tasks.single import SingleLabelTask

        rows = datasets.Dataset.from_dict(
            {"text": list(texts), "label": [self.labels[i] for i in y]},
            features=datasets.Features(
                text=datasets.Value("string"), label=datasets.Value("string")
            ),
        )
        none = rows.select([])
        task = SingleLabelTask(labels=self.labels).fit(rows, file="gold")
        with (
            tempfile.TemporaryDirectory(prefix="augment-teacher-") as work,
            no_progress_bars(),
            quiet_loading(),
        ):
            result = finetune(
                TaskData(task, rows, none, none, "gold"), self.path, Path(work) / "teacher",
                self.args,
            )  # fmt: skip
        self.model, self.tokenizer = result.trainer.model.eval(), result.tokenizer

    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        from train.predict.predictor import batched_logits

        return batched_logits(
            self.model, self.tokenizer, list(texts), batch_size=PREDICT_BATCH,
            max_length=self.args.max_length, device=self.model.device,
        )  # fmt: skip

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        z = self._logits(texts) / self.temperature
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return (z / z.sum(axis=1, keepdims=True)).astype(np.float32)
