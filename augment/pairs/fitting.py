"""The models pair mode fits on STS pairs, by ``train``'s engine
(:mod:`train.engine.sentence_fit`): the embedder fine-tuned as a bi-encoder (the ``bi``
teacher and the ``--eval`` students) and a cross-encoder (the ``cross`` teacher), and their
settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

from augment.pairs.options import PairConfig
from augment.pairs.reading import Pairs
from train.engine.args import TrainArgs

TRAIN_BATCH = 16
#: warm-up share of every pair-mode fit
WARMUP = 0.1
#: the bi-encoder teacher's rate, as ``train --pair-model bi`` (and its 200 steps at least; 10 %
#: of STS-B: 84.4 / 83.9 test Spearman vs 83.2 for the --eval student's one epoch at 2e-5)
BI_TEACHER_LR = 5e-5
#: the --eval students' rate (``--epochs`` passes, no step floor)
STUDENT_LR = 2e-5
#: the cross-encoder's rate (one epoch at 2e-5 left every score near 0.5)
CE_LR = 5e-5


def fit_args(cfg: PairConfig, *, epochs: int, min_steps: int, lr: float, seed: int) -> TrainArgs:
    """The engine's settings of a pair-mode fit: batch 16, 10 % warm-up, no weight decay, the
    loss logged every 50 steps (printed with ``-v``), bars only with progress."""
    return TrainArgs(
        seed=seed,
        epochs=epochs,
        min_steps=min_steps,
        batch_size=TRAIN_BATCH,
        lr=lr,
        warmup_ratio=WARMUP,
        weight_decay=0.0,
        logging_steps=50,
        progress=cfg.progress,
        quiet=cfg.quiet,
        verbose=cfg.verbose,
    )


def bi_teacher_args(cfg: PairConfig) -> TrainArgs:
    """The bi-encoder teacher's fit: ``--epochs`` over gold, at least ``--bi-min-steps``."""
    return fit_args(
        cfg, epochs=cfg.pair.epochs, min_steps=cfg.pair.bi_min_steps, lr=BI_TEACHER_LR,
        seed=cfg.seed,
    )  # fmt: skip


def student_args(cfg: PairConfig, seed: int) -> TrainArgs:
    """An ``--eval`` student's fit: ``--epochs`` over its training pairs."""
    return fit_args(cfg, epochs=cfg.pair.epochs, min_steps=0, lr=STUDENT_LR, seed=seed)


def cross_args(cfg: PairConfig) -> TrainArgs:
    """The cross-encoder teacher's fit: ``--ce-epochs`` over gold in both orders, at least
    ``--ce-min-steps`` (575 STS-B pairs: 72 steps per epoch -> 400)."""
    return fit_args(
        cfg, epochs=cfg.pair.ce_epochs, min_steps=cfg.pair.ce_min_steps, lr=CE_LR, seed=cfg.seed
    )


def training_pairs(pairs: Pairs, scale: tuple[float, float], *, both_orders: bool = False):
    """``pairs`` as the engine's training set: the scores mapped from ``scale`` to [0, 1];
    ``both_orders``: each pair also as (sentence2, sentence1)."""
    low, high = scale
    first, second = list(pairs["sentence1"]), list(pairs["sentence2"])
    score = [(s - low) / (high - low) for s in pairs["score"]]
    if both_orders:
        first, second, score = first + second, second + first, score + score
    return datasets.Dataset.from_dict({"sentence1": first, "sentence2": second, "score": score})


def fine_tuned_embedder(
    pairs: Pairs, scale: tuple[float, float], cfg: PairConfig, work: Path, args: TrainArgs
) -> Any:
    """A fresh copy of the embedder fine-tuned on ``pairs`` (cosine) with ``args``."""
    from train.engine.sentence_fit import fit_bi_encoder, load_bi_encoder

    model = load_bi_encoder(cfg.embedder)
    return fit_bi_encoder(model, training_pairs(pairs, scale), args, work / "bi-encoder")


def trained_cross_encoder(
    gold: Pairs, scale: tuple[float, float], cfg: PairConfig, work: Path
) -> Any:
    """A cross-encoder (a new one-output head on the embedder, sigmoid) trained on gold pairs
    in both orders."""
    from train.engine.sentence_fit import fit_cross_encoder, load_cross_encoder

    train = training_pairs(gold, scale, both_orders=True)
    model = load_cross_encoder(cfg.embedder)
    return fit_cross_encoder(model, train, cross_args(cfg), work / "cross-encoder")
