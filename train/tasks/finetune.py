"""Fine-tune a :class:`~train.models.TaskModel` on a task's splits with the phases' Trainer
set-up: best checkpoint on the task's dev metric, cut-offs tuned on dev, test metrics (with
the majority baseline's) under the task's names. Writing the output is the caller's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from train.phases.args import TrainArgs
from train.tasks.base import Task
from train.tasks.columns import TaskData


@dataclass
class FinetuneResult:
    """The tuned task, the trainer (``trainer.model`` carries the tuned task spec), the test
    metrics, and the test targets and scores (``[n, n_outputs]``)."""

    task: Task
    trainer: Any
    tokenizer: Any
    metrics: dict[str, Any]
    test_targets: np.ndarray
    test_scores: np.ndarray


def model_inputs(
    task: Task, ds: datasets.Dataset, tokenizer: Any, max_length: int, *, file: str
) -> datasets.Dataset:
    """Tokenised inputs (pairs for a pair task) with ``labels`` and ``sample_weight``."""
    from train.data import tokenize

    columns = {"text": task.texts(ds)}
    if task.needs_pair:
        columns["text_pair"] = list(ds["text_pair"])
    if "label" in ds.column_names:
        columns["labels"] = task.targets(ds, file=file).tolist()
    out = datasets.Dataset.from_dict(columns)
    if "sample_weight" in ds.column_names:
        out = out.add_column("sample_weight", list(ds["sample_weight"]))
    pair = "text_pair" if task.needs_pair else None
    return tokenize(out, tokenizer, max_length, pair_column=pair)


def predict_in_order(trainer: Any, ds: datasets.Dataset) -> np.ndarray:
    """``trainer.predict``'s outputs in ``ds``'s row order.

    transformers 5 samples evaluation batches like training ones: with
    ``group_by_length`` its eval sampler groups rows by length, so ``predict`` returns them
    permuted (right beside its own ``label_ids``, wrong beside anything else).
    """
    strategy = trainer.args.train_sampling_strategy
    trainer.args.train_sampling_strategy = "random"
    try:
        return trainer.predict(ds).predictions
    finally:
        trainer.args.train_sampling_strategy = strategy


def finetune(
    data: TaskData,
    init: str | Path | None,
    out: str | Path,
    args: TrainArgs,
    *,
    silver_weight: float = 1.0,
) -> FinetuneResult:
    """Train on ``data.train``, select and tune on ``data.dev``, evaluate on ``data.test``.

    ``init``: a phase-1/phase-2 output or a pretrained encoder; ``out``: where the phase
    output will go (checkpoints are kept beside it, as for the other phases).
    """
    from train.encoders import encoder_config_dict, lineage_entry, load_init, transfer_encoder
    from train.models import TaskModel, TaskModelConfig
    from train.phases.collators import ClassificationCollator
    from train.phases.trainer import fit, pad_multiple

    task = data.task
    init_src = load_init(init, phase=3)
    model = TaskModel(
        TaskModelConfig.for_task(
            task,
            encoder=encoder_config_dict(init_src.encoder),
            head_dropout=args.head_dropout,
            lineage=[
                *init_src.lineage,
                lineage_entry(3, init_src, {"source": data.source}, task=task.name),
            ],
        )
    )
    transfer_encoder(model, init_src.encoder)
    tok = init_src.tokenizer

    def inputs(ds: datasets.Dataset, split: str) -> datasets.Dataset:
        if "is_silver" in ds.column_names:
            weights = [silver_weight if s else 1.0 for s in ds["is_silver"]]
            ds = ds.add_column("sample_weight", weights)
        return model_inputs(task, ds, tok, args.max_length, file=f"{data.source} ({split})")

    train_t, dev_t, test_t = (
        inputs(data.train, "train"),
        inputs(data.dev, "dev"),
        inputs(data.test, "test"),
    )

    def compute_metrics(pred: Any) -> dict[str, float]:
        value = task.metrics(pred.label_ids, task.scores(pred.predictions))[task.dev_metric]
        return {task.dev_metric: float(value) if value is not None else 0.0}

    trainer = fit(
        model,
        args,
        out,
        train_ds=train_t,
        eval_ds=dev_t,
        collator=ClassificationCollator(
            tok, extra=("labels", "sample_weight"), pad_to_multiple_of=pad_multiple(args)
        ),
        tokenizer=tok,
        metric=task.dev_metric,
        compute_metrics=compute_metrics,
    )

    def scores_of(ds: datasets.Dataset) -> np.ndarray:
        if len(ds) == 0:
            return np.zeros((0, task.n_outputs))
        return task.scores(predict_in_order(trainer, ds))

    dev_targets = np.asarray(dev_t["labels"], dtype=np.float32).reshape(-1, task.n_outputs)
    task = task.tune(dev_targets, scores_of(dev_t))
    trainer.model.config.task_spec = task.to_config()
    train_targets = np.asarray(train_t["labels"], dtype=np.float32)
    test_targets = np.asarray(test_t["labels"], dtype=np.float32).reshape(-1, task.n_outputs)
    test_scores = scores_of(test_t)
    metrics = task.metrics(test_targets, test_scores, train_targets) if len(test_t) else {}
    metrics.update(task=task.name, n_train=len(train_t), n_dev=len(dev_t), n_test=len(test_t))
    return FinetuneResult(task, trainer, tok, metrics, test_targets, test_scores)
