"""``train phase1``: classify label-description sentences with the study's head: MBTI's
type-article sentences (four axes, or the 16 types), or any task's label set (softmax)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import typer

from schemas.errors import InputError
from schemas.options import group, option
from train.data import Loaded
from train.phases.args import TrainArgs
from train.phases.result import PhaseResult
from train.tasks.options import LabelOptions

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class Phase1Config:
    """Phase 1: classify label-description sentences (``type_sentences`` schema).

    ``--task mbti`` (the default): the 16 types, as four axes or one softmax (``target``).
    ``single``/``multi``: one softmax over the label set (``--labels FILE``, else the labels
    the data use; ``label_set`` in the Python API); a row is about one label, also for
    ``multi``, whose phase 3 then puts a sigmoid per label on the encoder.
    """

    data: Path | None = option(
        None, argument=True, help="Label-description sentences (phase-1 data set)."
    )
    dataset: datasets.Dataset | Loaded | None = option(
        None, cli=False, help="The rows in memory instead of reading data (Python API)."
    )
    out: Path = option(help="Output model directory.")
    model: str | None = option(
        DEFAULT_MODEL, help="Encoder name or path (default: bundled MiniLM)."
    )
    target: str | None = option(
        None,
        help="mbti: axes (4 sigmoid outputs; the default) or type (16-way softmax); "
        "single/multi: type (softmax over the label set: a sentence is about one label).",
    )
    mask_types: bool = option(True, help="mbti: mask type mentions first.")
    label_set: tuple[str, ...] | None = option(
        None, cli=False, help="single/multi: the label set (train all passes the task's)."
    )
    dev_fraction: float = option(0.1, cli=False, help="Share of sentences held out for dev.")
    task_options: LabelOptions = group(LabelOptions, panel="Task")
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        if self.data is None and self.dataset is None:
            raise InputError("missing argument DATA (the label-description sentences)")
        self.task_options.check_label_set()
        mbti = self.task_options.task == "mbti"
        self.target = self.target or ("axes" if mbti else "type")
        if self.target not in ("axes", "type"):
            raise InputError(f"unknown target {self.target!r} (axes or type)", field="--target")
        if self.target == "axes" and not mbti:
            raise InputError("--target axes needs --task mbti", field="--target")


def run_phase1(cfg: Phase1Config) -> PhaseResult:
    """Train phase 1 and write its model directory to ``cfg.out``."""
    import numpy as np

    from train.data import axis_bits, check_both_classes, mask_types
    from train.data import tokenize as tokenize_ds
    from train.phases.inputs import open_phase_data
    from train.phases.labels import row_labels
    from train.splits import assign_splits

    args = cfg.args
    loaded, manifest = open_phase_data(cfg, "train phase1", "type_sentences", ("text", "label"))
    ds, name, prov = loaded
    rows = row_labels(ds["label"], cfg.task_options, file=name, label_set=cfg.label_set)
    labels = rows.names
    if cfg.target == "axes":
        check_both_classes(axis_bits(labels), file=name, what="type sentences")
    elif len(set(labels)) < 2:
        raise InputError("needs at least two labels to classify", file=name, field="label")
    # torch-backed modules only once the data has passed its checks (fast bad-input exits)
    from transformers import set_seed

    from train.distributed import main_process_first
    from train.encoders import encoder_config_dict, lineage_entry, load_init, transfer_encoder
    from train.logs import configure
    from train.metrics import predict_bits
    from train.models import TypeSentenceClassifier, TypeSentenceConfig
    from train.phases.collators import ClassificationCollator
    from train.phases.trainer import finish_phase, fit, pad_multiple

    configure(args)
    init = load_init(cfg.model, phase=1, flag="--model")

    n_masked = 0
    if cfg.mask_types and cfg.task_options.task == "mbti":
        ds, n_masked = mask_types(ds)
    targets: list[Any] = (
        axis_bits(labels).astype(np.float32).tolist() if cfg.target == "axes" else rows.ids
    )
    ds = ds.select_columns(["text"]).add_column("labels", targets)
    split = assign_splits(
        labels, [str(i) for i in range(len(ds))], dev=cfg.dev_fraction, test=0.0, seed=args.seed
    )
    with main_process_first(args):
        train_ds = tokenize_ds(
            ds.select([i for i, s in enumerate(split) if s == "train"]),
            init.tokenizer,
            args.max_length,
        )
        dev_ds = tokenize_ds(
            ds.select([i for i, s in enumerate(split) if s == "dev"]),
            init.tokenizer,
            args.max_length,
        )

    config = TypeSentenceConfig(
        encoder=encoder_config_dict(init.encoder),
        labels=list(rows.label_set),
        target=cfg.target,
        head_dropout=args.head_dropout,
        lineage=[*init.lineage, lineage_entry(1, init, prov, target=cfg.target)],
    )
    set_seed(args.seed)  # the new head's weights: the same in every process
    model = TypeSentenceClassifier(config)
    transfer_encoder(model, init.encoder)

    def compute_metrics(pred: Any) -> dict[str, float]:
        logits, gold = pred.predictions, pred.label_ids
        if cfg.target == "axes":
            probs = 1 / (1 + np.exp(-logits))
            return {"accuracy": float((predict_bits(probs, [0.5] * 4) == gold).mean())}
        return {"accuracy": float((logits.argmax(-1) == gold).mean())}

    trainer = fit(
        model,
        args,
        cfg.out,
        train_ds=train_ds,
        eval_ds=dev_ds,
        collator=ClassificationCollator(init.tokenizer, pad_to_multiple_of=pad_multiple(args)),
        tokenizer=init.tokenizer,
        metric="accuracy",
        compute_metrics=compute_metrics,
    )
    metrics = {
        "target": cfg.target,
        "n_train": len(train_ds),
        "n_dev": len(dev_ds),
        "n_masked": n_masked,
        "dev": trainer.evaluate() if len(dev_ds) else {},
    }
    return finish_phase(cfg.out, trainer, init.tokenizer, metrics, manifest, args)


def command(cfg: Phase1Config) -> None:
    """Phase 1: classify label-description sentences with the study's head: MBTI's type
    sentences by default; any label set with --task single/multi (a sentence is about one
    label: one softmax over the set, for multi too; regression has no label set)."""
    result = run_phase1(cfg)
    typer.echo(f"phase 1: dev {result.metrics['dev']} -> {result.model_dir}")
