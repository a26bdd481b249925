"""Fitting sentence-transformers models with their own trainers: a bi-encoder
(``CosineSimilarityLoss``: the cosine of the two embeddings learns the pair's score) and a
cross-encoder (one output, ``BinaryCrossEntropyLoss``: the pair in one input learns its score).
``train --pair-model bi`` and augment's pair mode (its teachers and its students) fit here.

The settings are :class:`~train.engine.args.TrainArgs`': ``epochs`` with the ``min_steps`` floor
(or ``max_steps``), ``batch_size``, ``grad_accum``, ``lr``, ``warmup_ratio``,
``weight_decay``, ``seed``, ``bf16``, ``tf32``, ``logging_steps``, ``report_to``, ``device``
and ``progress``. The training pairs are a ``datasets.Dataset`` with ``sentence1``,
``sentence2`` and ``score`` in [0, 1]. Nothing is saved: the fitted model is returned; ``out``
only names the Trainer's (unused) checkpoint folder beside it, as
:func:`~train.engine.trainer.checkpoint_dir` says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

from schemas.models import resolve_model
from train.engine.args import TrainArgs
from train.engine.distributed import uses_cuda
from train.engine.logs import no_progress_bars, no_widget_examples, quiet_loading, trainer_callbacks
from train.engine.trainer import checkpoint_dir, epoch_steps, mixed_precision, planned_steps


def load_bi_encoder(
    name: str | None, *, device: str | None = None, max_length: int | None = None
) -> Any:
    """A ``SentenceTransformer`` from a name or path (``None``: the bundled MiniLM; a plain
    encoder gets mean pooling), truncating at ``max_length`` tokens (``None``: the model's own
    limit)."""
    from sentence_transformers import SentenceTransformer

    with no_progress_bars():
        model = SentenceTransformer(resolve_model(name), device=device)
    if max_length:
        model.max_seq_length = max_length
    return model


def load_cross_encoder(name: str | None, *, device: str | None = None) -> Any:
    """A ``CrossEncoder`` with one output from a name or path: a pretrained cross-encoder as it
    is, or a new head on an encoder (expected: no load report, no loading bar)."""
    from sentence_transformers.cross_encoder import CrossEncoder

    with quiet_loading(), no_progress_bars():
        return CrossEncoder(resolve_model(name), num_labels=1, device=device)


def optimiser_steps(args: TrainArgs, n_train: int) -> int:
    """The optimiser steps a fit over ``n_train`` pairs takes: ``args.max_steps`` when given,
    else ``args.epochs`` passes, lengthened to ``args.min_steps`` (see
    :func:`~train.engine.trainer.planned_steps`)."""
    planned = planned_steps(args, n_train)
    return planned if planned > 0 else epoch_steps(args, n_train)


def fit_bi_encoder(model: Any, pairs: datasets.Dataset, args: TrainArgs, out: str | Path) -> Any:
    """Fine-tune the ``SentenceTransformer`` ``model`` on ``pairs`` with
    ``CosineSimilarityLoss``; returns it."""
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss

    targs = _training_arguments(SentenceTransformerTrainingArguments, args, out, len(pairs))
    no_widget_examples(model)  # no "Computing widget examples" bar
    loss = CosineSimilarityLoss(model)
    _train(SentenceTransformerTrainer(model=model, args=targs, train_dataset=pairs, loss=loss))
    return model


def fit_cross_encoder(model: Any, pairs: datasets.Dataset, args: TrainArgs, out: str | Path) -> Any:
    """Train the one-output ``CrossEncoder`` ``model`` on ``pairs`` (the score as a soft
    binary target, ``BinaryCrossEntropyLoss``: its predictions are sigmoid scores in [0, 1]);
    returns it."""
    from sentence_transformers.cross_encoder import (
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    targs = _training_arguments(CrossEncoderTrainingArguments, args, out, len(pairs))
    no_widget_examples(model)  # no "Computing widget examples" bar
    loss = BinaryCrossEntropyLoss(model)
    _train(CrossEncoderTrainer(model=model, args=targs, train_dataset=pairs, loss=loss))
    return model


def _training_arguments(cls: type, args: TrainArgs, out: str | Path, n_train: int) -> Any:
    """``cls`` (a sentence-transformers ``TrainingArguments``) from ``args``: no checkpoints,
    no pinned memory on a CPU (a warning there), bars only with ``progress``; mixed precision
    as the product's Trainer (bf16 by default on CUDA and on a CPU with native bf16)."""
    cuda = uses_cuda(args)
    return cls(
        output_dir=str(checkpoint_dir(out)),
        num_train_epochs=args.epoch_count,
        max_steps=optimiser_steps(args, n_train),
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        learning_rate=args.lr,
        warmup_steps=args.warmup_ratio,
        weight_decay=args.weight_decay,
        seed=args.seed,
        save_strategy="no",
        report_to=args.reporters(),
        logging_steps=args.logging_steps,
        **mixed_precision(args, cuda),
        use_cpu=not cuda,
        dataloader_pin_memory=cuda,
        disable_tqdm=not args.progress,
    )


def _train(trainer: Any) -> None:
    """Train without the raw ``{'loss': ...}`` dicts under the bar (they show with ``-v``)."""
    trainer_callbacks(trainer)
    trainer.train()
