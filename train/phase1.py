"""Phase 1: classify type-article sentences (four axes, or the 16 types) with the study's head."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from train.config import Phase1Config, PhaseResult, TrainArgs
from train.options import with_train_options


def run_phase1(cfg: Phase1Config) -> PhaseResult:
    """Train phase 1 and write its model directory to ``cfg.out``."""
    import numpy as np

    from schemas.errors import InputError
    from schemas.io import check_output_dir
    from schemas.labels import MBTI
    from schemas.manifest import Manifest
    from train.data import axis_bits, check_both_classes, load_data, mask_types, parse_labels
    from train.data import tokenize as tokenize_ds
    from train.splits import assign_splits

    args = cfg.args
    check_output_dir(cfg.out, overwrite=args.overwrite)
    if cfg.target not in ("axes", "type"):
        raise InputError(f"unknown target {cfg.target!r} (axes or type)", field="--target")
    manifest = Manifest("train phase1", inputs=_paths(cfg.data), seed=args.seed)
    ds, name, prov = load_data(cfg.data, "type_sentences", required=("text", "label"))
    labels = parse_labels(ds["label"], file=name)
    bits = axis_bits(labels)
    if cfg.target == "axes":
        check_both_classes(bits, file=name, what="type sentences")
    elif len(set(labels)) < 2:
        raise InputError("needs at least two types to classify", file=name, field="label")
    # torch-backed modules only once the data has passed its checks (fast bad-input exits)
    from train.collators import ClassificationCollator
    from train.encoders import encoder_config_dict, lineage_entry, load_init, transfer_encoder
    from train.metrics import predict_bits
    from train.models import TypeSentenceClassifier, TypeSentenceConfig
    from train.trainer import finish_phase, fit, pad_multiple

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
    train_ds = tokenize_ds(
        ds.select([i for i, s in enumerate(split) if s == "train"]),
        init.tokenizer,
        args.max_length,
    )
    dev_ds = tokenize_ds(
        ds.select([i for i, s in enumerate(split) if s == "dev"]), init.tokenizer, args.max_length
    )

    config = TypeSentenceConfig(
        encoder=encoder_config_dict(init.encoder),
        labels=list(MBTI.labels),
        target=cfg.target,
        head_dropout=args.head_dropout,
        lineage=[*init.lineage, lineage_entry(1, init, prov, target=cfg.target)],
    )
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


def _paths(data: Any) -> list[Any]:
    return [data] if isinstance(data, (str, Path)) else []


@with_train_options
def command(
    type_sentences: Annotated[Path, typer.Argument(help="Type sentences (phase-1 data set).")],
    out: Annotated[Path, typer.Option("--out", help="Output model directory.")],
    model: Annotated[
        str, typer.Option("--model", help="Encoder name or path (default: bundled MiniLM).")
    ] = "bundled:all-MiniLM-L6-v2",
    target: Annotated[
        str, typer.Option("--target", help="axes (4 sigmoid outputs) or type (16-way softmax).")
    ] = "axes",
    mask_types: Annotated[
        bool, typer.Option("--mask-types/--no-mask-types", help="Mask type mentions first.")
    ] = True,
    *,
    args: TrainArgs,
) -> None:
    """Phase 1: classify type-article sentences with the study's head."""
    result = run_phase1(
        Phase1Config(
            data=type_sentences,
            out=out,
            model=model,
            target=target,  # type: ignore[arg-type]
            mask_types=mask_types,
            args=args,
        )
    )
    typer.echo(f"phase 1: dev {result.metrics['dev']} -> {result.model_dir}")
