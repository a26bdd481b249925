"""The training options every phase shares (optimisation, batching, hardware, checkpoints):
one options dataclass, a ``group`` of every phase command and of ``train all``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from schemas.console import ConsoleOptions
from schemas.options import option

DEFAULT_EPOCHS = 3.0


@dataclass
class TrainArgs(ConsoleOptions):
    """Options shared by every phase (and ``-q``/``-v``/``--progress``).

    ``bf16``/``tf32`` ``None`` means automatic (bf16: on for CUDA and for a CPU with native
    bf16; tf32: on for CUDA). ``max_steps`` > 0
    overrides ``epochs`` (tests use a few steps); otherwise ``min_steps`` lengthens short runs.
    ``head_lr``: the new head learns faster than the pretrained encoder (on Corona tweets, at
    the encoder's 5e-5 the 4-layer head learnt nothing for ~100 steps); so do phase 2's label
    embedding and new MLM head.
    ``head``/``head_warmup_epochs``: phase 3's head is one linear layer, trained alone on the
    frozen features before fine-tuning (LP-FT). Against the study's MLP head, fine-tuned from a
    random start (3 seeds, CPU): Kaggle held-out users per author 49.6 -> 57.1 mean axis
    macro-F1, GoEmotions macro-F1 31.8 -> 39.1, Corona tweets 30.6 -> 34.2 (5 %) and 58.5 ->
    59.6 (100 %).
    ``wise_ft``: the best-on-dev mix of the warmed-up and the fine-tuned weights is kept (dev
    per author where rows name authors); plain fine-tuning per author went 57.1 -> 58.2 on
    Kaggle held-out users (frozen arm 58.3) and 49.2 -> 51.8 on MbtiBench (frozen 52.0).
    Phase 1 does not mix (its encoder is an intermediate that phase 1 exists to move).
    ``early_stopping_patience`` counts evaluations (one per epoch) without improvement of the
    dev metric; ``None`` (or 0 on the command line) disables it.
    """

    options_panel = "Training"

    seed: int = option(0, help="Random seed.", ge=0)
    epochs: float | None = option(
        None, help="Training epochs (default: the task's; 5 for multi, 3 otherwise).", gt=0
    )
    batch_size: int = option(16, help="Batch size per device.", ge=1)
    lr: float = option(5e-5, help="Peak learning rate (linear warm-up and decay).", gt=0)
    head_lr: float | None = option(
        1e-3,
        help="Peak learning rate of what is trained from scratch: a new classification head, "
        "phase 2's label embedding and new MLM head (0: --lr).",
        ge=0,
    )
    min_steps: int = option(
        200,
        help="Train at least this many optimiser steps (more epochs on small data; 0: off).",
        ge=0,
    )
    freeze_encoder_steps: int = option(
        0,
        help="Train only what is new (the head) for the first N steps, the pretrained encoder "
        "from then on (linear probing, then fine-tuning).",
        ge=0,
    )
    head_warmup_epochs: float = option(
        10,
        help="Before fine-tuning, train the new head alone for N epochs on the encoder's "
        "frozen pooled features (computed once), and keep the warmed-up model if fine-tuning "
        "never beats it on dev (linear probing, then fine-tuning; 0: off).",
        ge=0,
    )
    wise_ft: bool = option(
        True,
        help="After fine-tuning, keep the mix of the warmed-up and the fine-tuned weights "
        "(0, 1/4, 1/2, 3/4 or all fine-tuned) that is best on dev (WiSE-FT; needs the head "
        "warm-up, so a resumed run does not mix; phase 1, an intermediate encoder, never "
        "mixes).",
    )
    freeze_word_embeddings: bool = option(
        False,
        help="Keep the encoder's word embeddings as loaded: no gradient and no optimiser "
        "update for about half of a small encoder's weights (faster steps on CPU).",
    )
    max_length: int = option(128, help="Truncate texts to this many tokens.", ge=1)
    warmup_ratio: float = option(
        0.1, help="Share of steps for the learning-rate warm-up.", ge=0, le=1
    )
    weight_decay: float = option(0.01, help="AdamW weight decay.", ge=0)
    grad_accum: int = option(1, help="Gradient accumulation steps.", ge=1)
    bf16: bool | None = option(
        None,
        help="bf16 mixed precision (default: on for CUDA and for a CPU with native bf16, "
        "AVX512_BF16 or AMX; off where a CPU would emulate it).",
    )
    tf32: bool | None = option(None, help="TF32 matmuls (default: on for CUDA).")
    group_by_length: bool = option(True, help="Length-grouped batches (less padding).")
    early_stopping_patience: int | None = option(
        2, help="Stop after this many evaluations without dev improvement (0: never).", ge=0
    )
    torch_compile: bool = option(False, help="Compile the model with torch.compile.")
    resume: bool = option(
        False,
        help="Write resumable checkpoints (weights + optimiser, each epoch) beside --out and "
        "continue from the newest (default: the best weights are kept in memory only).",
    )
    device: str | None = option(None, help="cpu or cuda (default: cuda when available).")
    num_workers: int = option(0, help="Data-loader worker processes.", ge=0)
    logging_steps: int = option(10, help="Log the loss every N steps.", ge=1)
    max_steps: int = option(
        -1, help="Stop after N optimiser steps (overrides --epochs; -1: off).", ge=-1
    )
    eval_batch_size: int | None = option(
        None, cli=False, help="Evaluation batch size (default: twice --batch-size).", ge=1
    )
    head_dropout: float = option(0.1, help="Dropout of the classification heads.", ge=0, lt=1)
    head: str = option(
        "linear",
        help="Phase 3's classification head (train all's fine-tuned arms): linear (dropout and "
        "one layer on the pooled vector, as Hugging Face's sequence classifiers and the frozen "
        "arm's linear model) or study (the study's MLP, 512-256-128). Phase 1 keeps the "
        "study's.",
        choices=("study", "linear"),
    )
    overwrite: bool = option(False, help="Replace a non-empty --out.")
    report_to: str = option(
        "none", help="Where the Trainer logs: none, tensorboard, wandb, ... (comma-separated)."
    )

    def describe(self) -> str:
        """The training set-up in one line, for reports."""
        return (
            f"epochs {self.epoch_count:g} (at least {self.min_steps} steps), max_steps "
            f"{self.max_steps}, batch {self.batch_size}, lr {self.lr:g} (head "
            f"{self.head_rate():g}), max_length "
            f"{self.max_length}, group_by_length {self.group_by_length}, head {self.head}"
            + (
                f", encoder frozen for {self.freeze_encoder_steps} steps"
                if self.freeze_encoder_steps
                else ""
            )  # fmt: skip
            + (
                f", head warmed up for {self.head_warmup_epochs:g} epochs on frozen features"
                if self.head_warmup_epochs
                else ""
            )  # fmt: skip
            + (
                ", warmed-up and fine-tuned weights mixed (WiSE-FT)"
                if self.head_warmup_epochs and self.wise_ft
                else ""
            )  # fmt: skip
            + (", word embeddings frozen" if self.freeze_word_embeddings else "")
        )

    @property
    def epoch_count(self) -> float:
        """``epochs``, or the default 3 when it is not given (and no task chose)."""
        return self.epochs if self.epochs is not None else DEFAULT_EPOCHS

    def for_task(self, task: Any) -> TrainArgs:
        """These options with ``epochs`` the task's default when it is not given."""
        if self.epochs is not None or task.default_epochs is None:
            return self
        return dataclasses.replace(self, epochs=task.default_epochs)

    def head_rate(self) -> float:
        """The new head's peak learning rate: ``--head-lr``, or ``--lr`` when it is unset/0."""
        return self.head_lr or self.lr

    def reporters(self) -> list[str]:
        """``--report-to`` as the Trainer's ``report_to`` list."""
        return [name.strip() for name in self.report_to.split(",") if name.strip()]

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.early_stopping_patience == 0:
            self.early_stopping_patience = None
