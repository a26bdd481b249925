"""The one fine-tuning loop of every task model (phases 1 and 3, ``train all``'s arms and
augment's students): train on a task's training split with the Trainer set-up of
:mod:`train.engine.trainer`, keep the weights that were best on the task's dev metric, tune
the task's cut-offs on dev, and score the test split under the task's metric names.

The engine knows no task and no model class: ``data.task`` answers what is task-specific
(texts, targets, scores, metrics, cut-offs), as a ``compute_metrics`` does for the Hugging
Face Trainer. Writing the output is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from train.engine.args import TrainArgs


@dataclass
class FinetuneResult:
    """The tuned task, the trainer (``trainer.model`` holds the best weights), the test
    metrics, and the test targets and scores (``[n, n_outputs]``)."""

    task: Any
    trainer: Any
    tokenizer: Any
    metrics: dict[str, Any]
    test_targets: np.ndarray
    test_scores: np.ndarray


def model_inputs(
    task: Any, ds: datasets.Dataset, tokenizer: Any, max_length: int, *, file: str
) -> tuple[datasets.Dataset, int]:
    """Tokenised inputs (pairs for a pair task) with ``labels`` and ``sample_weight``, and how
    many texts the task changed before the model sees them (MBTI: type mentions masked)."""
    from train.engine.data import tokenize

    texts = task.texts(ds)
    changed = sum(a != b for a, b in zip(ds["text"], texts, strict=True))
    columns = {"text": texts}
    if task.needs_pair:
        columns["text_pair"] = list(ds["text_pair"])
    if "label" in ds.column_names:
        columns["labels"] = task.targets(ds, file=file).tolist()
    out = datasets.Dataset.from_dict(columns)
    if "sample_weight" in ds.column_names:
        out = out.add_column("sample_weight", list(ds["sample_weight"]))
    pair = "text_pair" if task.needs_pair else None
    return tokenize(out, tokenizer, max_length, pair_column=pair), changed


def by_length(ds: datasets.Dataset) -> np.ndarray:
    """``ds``'s row indices shortest first (tokenised rows: the ``length`` column), the order
    in which evaluation pads least."""
    if len(ds) == 0:  # an empty split has no columns from tokenisation
        return np.zeros(0, dtype=np.int64)
    return np.argsort(np.asarray(ds["length"]), kind="stable")


def predict_scores(trainer: Any, task: Any, ds: datasets.Dataset) -> np.ndarray:
    """The task's scores of ``ds``'s rows (``[n, n_outputs]``, in ``ds``'s order), forwarded
    shortest first."""
    if len(ds) == 0:
        return np.zeros((0, task.n_outputs))
    order = by_length(ds)
    logits = np.asarray(trainer.predict(ds.select(order)).predictions)
    in_order = np.empty_like(logits)
    in_order[order] = logits
    return task.scores(in_order)


def fit_task(
    model: Any,
    data: Any,
    tokenizer: Any,
    args: TrainArgs,
    out: str | Path,
    *,
    silver_weight: float = 1.0,
) -> FinetuneResult:
    """Train ``model`` on ``data.train`` (rows with ``is_silver`` weighted by
    ``silver_weight``), select on ``data.dev``, tune cut-offs there, evaluate on
    ``data.test``; ``out`` is where the caller will write (resumable checkpoints beside it)."""
    from train.engine.collators import ClassificationCollator
    from train.engine.data import authors_of
    from train.engine.trainer import best_weights, fit, pad_multiple, warmed_up_weights
    from train.engine.weight_ensemble import best_mix

    task = data.task
    args = args.for_task(task)

    def inputs(ds: datasets.Dataset, split: str) -> tuple[datasets.Dataset, int]:
        if "is_silver" in ds.column_names:
            weights = [silver_weight if s else 1.0 for s in ds["is_silver"]]
            ds = ds.add_column("sample_weight", weights)
        return model_inputs(task, ds, tokenizer, args.max_length, file=f"{data.source} ({split})")

    (train_t, train_changed), (dev_t, dev_changed) = (
        inputs(data.train, "train"),
        inputs(data.dev, "dev"),
    )
    # phase 1 evaluates on its dev split: the same rows are not prepared twice
    test_t, test_changed = (dev_t, 0) if data.test is data.dev else inputs(data.test, "test")

    dev_authors = authors_of(data.dev)
    # the Trainer evaluates in the given order (PhaseTrainer): shortest first pads least
    dev_order = by_length(dev_t)
    eval_authors = None if dev_authors is None else [dev_authors[i] for i in dev_order]

    def compute_metrics(pred: Any) -> dict[str, float]:
        scores = task.scores(pred.predictions)
        return {task.dev_metric: task.dev_value(pred.label_ids, scores, eval_authors)}

    trainer = fit(
        model,
        args,
        out,
        train_ds=train_t,
        eval_ds=dev_t.select(dev_order),
        collator=ClassificationCollator(
            tokenizer, extra=("labels", "sample_weight"), pad_to_multiple_of=pad_multiple(args)
        ),
        tokenizer=tokenizer,
        metric=task.dev_metric,
        compute_metrics=compute_metrics,
    )

    dev_targets = np.asarray(dev_t["labels"], dtype=np.float32).reshape(-1, task.n_outputs)
    start = warmed_up_weights(trainer)

    def dev_evaluation() -> tuple[float, np.ndarray]:
        scores = predict_scores(trainer, task, dev_t)
        return task.dev_value(dev_targets, scores, dev_authors), scores

    wise_ft: dict[str, Any] = {}
    if args.wise_ft and start is not None and len(dev_t):
        chosen, by_mix, dev_scores = best_mix(
            trainer.model, start, dev_evaluation, end=best_weights(trainer)
        )
        wise_ft = {"wise_ft": {"mix": chosen, "dev": {f"{a:g}": v for a, v in by_mix.items()}}}
    else:
        dev_scores = predict_scores(trainer, task, dev_t)
    task = task.tune(dev_targets, dev_scores)
    train_targets = np.asarray(train_t["labels"], dtype=np.float32)
    test_targets = np.asarray(test_t["labels"], dtype=np.float32).reshape(-1, task.n_outputs)
    test_scores = dev_scores if test_t is dev_t else predict_scores(trainer, task, test_t)
    metrics = task.metrics(test_targets, test_scores, train_targets) if len(test_t) else {}
    silver = data.train["is_silver"] if "is_silver" in data.train.column_names else []
    metrics.update(
        task=task.name,
        n_train=len(train_t),
        n_dev=len(dev_t),
        n_test=len(test_t),
        n_silver=int(sum(silver)),
        n_masked=train_changed + dev_changed + test_changed,
        dev_by_author=dev_authors is not None,
        **wise_ft,
    )
    return FinetuneResult(task, trainer, tokenizer, metrics, test_targets, test_scores)
