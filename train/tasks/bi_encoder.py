"""``--pair-model bi``: a sentence-transformers bi-encoder fine-tuned with
``CosineSimilarityLoss`` on a regression task's pairs; the cosine of the two embeddings
(clipped to [0, 1]) is the pair's score, judged by the task's metrics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from schemas.models import resolve_model
from train.phases.args import TrainArgs
from train.phases.trainer import checkpoint_dir
from train.tasks.columns import TaskData


@dataclass
class BiEncoderResult:
    """The trained ``SentenceTransformer``, the test metrics and the test scores."""

    model: Any
    metrics: dict[str, Any]
    test_scores: np.ndarray


def pair_scores(model: Any, ds: datasets.Dataset, batch_size: int = 32) -> np.ndarray:
    """``[n, 1]`` cosine of each pair's embeddings, clipped to [0, 1]."""
    if len(ds) == 0:
        return np.zeros((0, 1))
    a = model.encode(list(ds["text"]), batch_size=batch_size, normalize_embeddings=True)
    b = model.encode(list(ds["text_pair"]), batch_size=batch_size, normalize_embeddings=True)
    return np.clip((np.asarray(a) * np.asarray(b)).sum(axis=1), 0, 1).reshape(-1, 1)


def train_bi_encoder(
    data: TaskData, model: str | None, out: str | Path, args: TrainArgs
) -> BiEncoderResult:
    """Fine-tune ``model`` (a pretrained encoder or sentence-transformers model; a plain
    encoder gets mean pooling) on ``data.train``; evaluate on ``data.test``."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss

    from train.phases.trainer import uses_cuda

    task = data.task
    encoder = SentenceTransformer(resolve_model(model), device="cuda" if uses_cuda(args) else "cpu")
    encoder.max_seq_length = args.max_length
    train = datasets.Dataset.from_dict(
        {
            "sentence1": list(data.train["text"]),
            "sentence2": list(data.train["text_pair"]),
            "score": task.targets(data.train, file=data.source)[:, 0].tolist(),
        }
    )
    targs = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoint_dir(out)),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr,
        warmup_steps=args.warmup_ratio,
        weight_decay=args.weight_decay,
        seed=args.seed,
        save_strategy="no",
        report_to="none",
        logging_steps=args.logging_steps,
        use_cpu=not uses_cuda(args),
        disable_tqdm=not args.progress,
    )
    SentenceTransformerTrainer(
        model=encoder, args=targs, train_dataset=train, loss=CosineSimilarityLoss(encoder)
    ).train()
    test_scores = pair_scores(encoder, data.test)
    train_targets = task.targets(data.train, file=data.source)
    test_targets = task.targets(data.test, file=data.source)
    metrics = task.metrics(test_targets, test_scores, train_targets) if len(test_scores) else {}
    metrics.update(task=task.name, pair_model="bi", n_train=len(train), n_test=len(data.test))
    return BiEncoderResult(encoder, metrics, test_scores)
