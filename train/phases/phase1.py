"""``train phase1``: classify type-article sentences (four axes, or the 16 types) with the
study's head."""

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

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class Phase1Config:
    """Phase 1: classify type-article sentences (``type_sentences`` schema)."""

    data: Path | None = option(None, argument=True, help="Type sentences (phase-1 data set).")
    dataset: datasets.Dataset | Loaded | None = option(
        None, cli=False, help="The rows in memory instead of reading data (Python API)."
    )
    out: Path = option(help="Output model directory.")
    model: str | None = option(
        DEFAULT_MODEL, help="Encoder name or path (default: bundled MiniLM)."
    )
    target: str = option("axes", help="axes (4 sigmoid outputs) or type (16-way softmax).")
    mask_types: bool = option(True, help="Mask type mentions first.")
    dev_fraction: float = option(0.1, cli=False, help="Share of sentences held out for dev.")
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        if self.data is None and self.dataset is None:
            raise InputError("missing argument DATA (the type sentences)")
        if self.target not in ("axes", "type"):
            raise InputError(f"unknown target {self.target!r} (axes or type)", field="--target")


def run_phase1(cfg: Phase1Config) -> PhaseResult:
    """Train phase 1 and write its model directory to ``cfg.out``."""
    import numpy as np

    from schemas.io import check_output_dir
    from schemas.labels import MBTI
    from schemas.manifest import Manifest
    from train.data import (
        axis_bits,
        check_both_classes,
        input_hashes,
        load_data,
        mask_types,
        parse_labels,
    )
    from train.data import tokenize as tokenize_ds
    from train.splits import assign_splits

    args = cfg.args
    check_output_dir(cfg.out, overwrite=args.overwrite)
    loaded = load_data(
        cfg.dataset if cfg.dataset is not None else cfg.data,
        "type_sentences",
        required=("text", "label"),
    )
    manifest = Manifest("train phase1", seed=args.seed).add(inputs=input_hashes(loaded))
    ds, name, prov = loaded
    labels = parse_labels(ds["label"], file=name)
    bits = axis_bits(labels)
    if cfg.target == "axes":
        check_both_classes(bits, file=name, what="type sentences")
    elif len(set(labels)) < 2:
        raise InputError("needs at least two types to classify", file=name, field="label")
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
    if cfg.mask_types:
        ds, n_masked = mask_types(ds)
    targets: list[Any] = (
        bits.astype(np.float32).tolist()
        if cfg.target == "axes"
        else [MBTI.index(lab) for lab in labels]
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
        labels=list(MBTI.labels),
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
    """Phase 1: classify type-article sentences with the study's head."""
    result = run_phase1(cfg)
    typer.echo(f"phase 1: dev {result.metrics['dev']} -> {result.model_dir}")
