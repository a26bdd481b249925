"""Configuration dataclasses of the three training phases (the Python API behind ``train``).

``TrainArgs`` holds what every phase shares (optimisation, batching, hardware, checkpoints);
``Phase1Config``/``Phase2Config``/``Phase3Config`` add each phase's data, starting point and
options. The CLI builds these from its options; ``train all`` builds them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import datasets
    import numpy as np


@dataclass
class TrainArgs:
    """Options shared by every phase.

    ``bf16``/``tf32`` ``None`` means automatic (on for CUDA, off on CPU). ``max_steps`` > 0
    overrides ``epochs`` (tests use a few steps). ``early_stopping_patience`` counts
    evaluations (one per epoch) without improvement of the dev metric; ``None`` disables it.
    """

    seed: int = 0
    epochs: float = 3.0
    batch_size: int = 16
    lr: float = 5e-5
    max_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    grad_accum: int = 1
    bf16: bool | None = None
    tf32: bool | None = None
    group_by_length: bool = True
    early_stopping_patience: int | None = 2
    torch_compile: bool = False
    resume: bool = False
    device: str | None = None
    num_workers: int = 0
    logging_steps: int = 10
    max_steps: int = -1
    eval_batch_size: int | None = None
    head_dropout: float = 0.1
    overwrite: bool = False
    progress: bool = True


@dataclass
class Phase1Config:
    """Phase 1: classify type-article sentences (``type_sentences`` schema)."""

    data: datasets.Dataset | str | Path
    out: str | Path
    model: str | None = None
    target: Literal["axes", "type"] = "axes"
    mask_types: bool = True
    dev_fraction: float = 0.1
    args: TrainArgs = field(default_factory=TrainArgs)


@dataclass
class Phase2Config:
    """Phase 2: type-conditioned MLM on masked sentences (``masked`` schema).

    ``init`` is a phase-1 output dir or a plain model name/path; ``mlm_mix`` > 0 adds
    ordinary random-masking MLM on the same texts with that weight.
    """

    data: datasets.Dataset | str | Path
    init: str | Path
    out: str | Path
    mlm_mix: float = 0.0
    dev_fraction: float = 0.1
    args: TrainArgs = field(default_factory=TrainArgs)


@dataclass
class Phase3Config:
    """Phase 3: fine-tune four MBTI axis heads on posts (``posts`` schema, already split).

    ``init`` is a phase-1/phase-2 output dir, or a plain model name/path (plain fine-tuning).
    """

    train: datasets.Dataset
    dev: datasets.Dataset
    test: datasets.Dataset | None
    init: str | Path | None
    out: str | Path
    silver_weight: float = 1.0
    class_weights: bool = True
    thresholds: Literal["static", "dynamic"] = "static"
    mask_types: bool = True
    data_source: str | None = None
    args: TrainArgs = field(default_factory=TrainArgs)


@dataclass
class PhaseResult:
    """What a phase returns: where the model went, its metrics and its training log.

    ``test_probs``/``test_labels`` are the phase-3 test-set axis probabilities and bits
    (``[n, 4]``); ``None`` for phases 1 and 2.
    """

    model_dir: Path
    metrics: dict
    log_history: list[dict]
    test_probs: np.ndarray | None = None
    test_labels: np.ndarray | None = None
