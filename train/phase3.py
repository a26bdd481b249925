"""Phase 3: fine-tune four MBTI axis heads on posts; thresholds, per-axis metrics, baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from schemas import hub
from train.config import Phase3Config, PhaseResult, TrainArgs
from train.options import with_train_options


def _prepare_split(ds: Any, name: str, cfg: Phase3Config) -> tuple[Any, Any, int]:
    """Validated split -> (data set with ``labels``/``sample_weight``, bits, n_masked)."""
    import numpy as np

    from train.data import axis_bits, load_data, mask_types, parse_labels

    ds, _, _ = load_data(ds, "posts", required=("text", "label"))
    bits = axis_bits(parse_labels(ds["label"], file=name))
    n_masked = 0
    if cfg.mask_types:
        ds, n_masked = mask_types(ds)
    silver = ds["is_silver"] if "is_silver" in ds.column_names else [False] * len(ds)
    weights = [cfg.silver_weight if s else 1.0 for s in silver]
    ds = ds.select_columns(["text"])
    ds = ds.add_column("labels", bits.astype(np.float32).tolist())
    ds = ds.add_column("sample_weight", weights)
    return ds, bits, n_masked


def class_pos_weight(bits: Any) -> list[float]:
    """Per-axis ``pos_weight`` = negatives / positives in the training labels."""
    pos = bits.sum(axis=0).astype(float)
    return [float(n) for n in (len(bits) - pos) / pos]


def run_phase3(cfg: Phase3Config) -> PhaseResult:
    """Train phase 3 on ``cfg.train``, select on ``cfg.dev``, evaluate on ``cfg.test``."""
    import numpy as np

    from schemas.errors import InputError
    from schemas.io import check_output_dir
    from schemas.labels import AXIS_NAMES
    from schemas.manifest import Manifest
    from train.data import check_both_classes, load_data
    from train.data import tokenize as tokenize_ds

    args = cfg.args
    check_output_dir(cfg.out, overwrite=args.overwrite)
    if cfg.thresholds not in ("static", "dynamic"):
        raise InputError(f"unknown thresholds {cfg.thresholds!r} (static or dynamic)")
    if cfg.silver_weight < 0:
        raise InputError(f"--silver-weight must be >= 0, got {cfg.silver_weight}")
    source = cfg.data_source or "<posts>"
    manifest = Manifest("train phase3", inputs=[source] if cfg.data_source else [], seed=args.seed)
    _, _, prov = load_data(cfg.train, "posts", required=("text", "label"))
    prov["source"] = source
    train_ds, train_bits, n_masked = _prepare_split(cfg.train, f"{source} (train)", cfg)
    check_both_classes(train_bits, file=source)
    # torch-backed modules only once the data has passed its checks (fast bad-input exits)
    from train.collators import ClassificationCollator
    from train.encoders import encoder_config_dict, lineage_entry, load_init, transfer_encoder
    from train.metrics import axis_metrics, majority_baseline, tune_thresholds
    from train.models import AxisClassifierConfig, MbtiAxisClassifier
    from train.trainer import finish_phase, fit, pad_multiple

    dev_ds, dev_bits, m_dev = _prepare_split(cfg.dev, f"{source} (dev)", cfg)
    if cfg.test is not None:
        test_ds, test_bits, m_test = _prepare_split(cfg.test, f"{source} (test)", cfg)
    else:
        test_ds, test_bits, m_test = dev_ds, dev_bits, 0
    if cfg.thresholds == "dynamic" and len(dev_ds) == 0:
        raise InputError("dynamic thresholds need dev posts (the dev split is empty)")
    init = load_init(cfg.init, phase=3)

    config = AxisClassifierConfig(
        encoder=encoder_config_dict(init.encoder),
        pos_weight=class_pos_weight(train_bits) if cfg.class_weights else None,
        head_dropout=args.head_dropout,
        mask_types=cfg.mask_types,
        lineage=[
            *init.lineage,
            lineage_entry(3, init, prov, silver_weight=cfg.silver_weight),
        ],
    )
    model = MbtiAxisClassifier(config)
    transfer_encoder(model, init.encoder)
    tok = init.tokenizer
    train_t = tokenize_ds(train_ds, tok, args.max_length)
    dev_t = tokenize_ds(dev_ds, tok, args.max_length) if len(dev_ds) else None
    test_t = tokenize_ds(test_ds, tok, args.max_length) if len(test_ds) else None

    def compute_metrics(pred: Any) -> dict[str, float]:
        probs = 1 / (1 + np.exp(-pred.predictions))
        return {"mean_axis_accuracy": axis_metrics(pred.label_ids, probs)["mean_axis_accuracy"]}

    trainer = fit(
        model,
        args,
        cfg.out,
        train_ds=train_t,
        eval_ds=dev_t,
        collator=ClassificationCollator(
            tok, extra=("labels", "sample_weight"), pad_to_multiple_of=pad_multiple(args)
        ),
        tokenizer=tok,
        metric="mean_axis_accuracy",
        compute_metrics=compute_metrics,
    )

    def probs_of(ds: Any) -> np.ndarray:
        logits = trainer.predict(ds).predictions
        return 1 / (1 + np.exp(-np.asarray(logits, dtype=np.float64)))

    thresholds = [0.5] * 4
    if cfg.thresholds == "dynamic":
        thresholds = tune_thresholds(dev_bits, probs_of(dev_t))
    trainer.model.config.thresholds = thresholds
    test_probs = probs_of(test_t) if test_t is not None else np.zeros((0, 4))
    metrics = axis_metrics(test_bits, test_probs, thresholds) if len(test_bits) else {}
    majority = majority_baseline(train_bits, test_bits) if len(test_bits) else {}
    for axis in AXIS_NAMES:
        if axis in metrics:
            metrics[axis]["majority_accuracy"] = majority[axis]["accuracy"]
            metrics[axis]["majority_macro_f1"] = majority[axis]["macro_f1"]
    metrics.update(
        majority_mean_axis_accuracy=majority.get("mean_axis_accuracy"),
        evaluated_on="test" if cfg.test is not None else "dev",
        thresholds_mode=cfg.thresholds,
        n_train=len(train_ds),
        n_dev=len(dev_ds),
        n_test=len(test_ds) if cfg.test is not None else 0,
        n_silver=_count_silver(cfg.train),
        n_masked=n_masked + m_dev + m_test,
        pos_weight=config.pos_weight,
    )
    return finish_phase(
        cfg.out,
        trainer,
        tok,
        metrics,
        manifest,
        args,
        test_probs=test_probs if cfg.test is not None else None,
        test_labels=test_bits if cfg.test is not None else None,
    )


def _count_silver(ds: Any) -> int:
    return int(sum(ds["is_silver"])) if "is_silver" in ds.column_names else 0


@with_train_options
def command(
    posts: Annotated[Path, typer.Argument(help="Posts (gold, optionally with silver rows).")],
    out: Annotated[Path, typer.Option("--out", help="Output model directory.")],
    init: Annotated[
        str,
        typer.Option(
            "--init", help="Phase-1/phase-2 output dir, or an encoder (plain fine-tuning)."
        ),
    ] = "bundled:all-MiniLM-L6-v2",
    silver_weight: Annotated[
        float, typer.Option("--silver-weight", help="Loss weight of silver rows.")
    ] = 1.0,
    thresholds: Annotated[
        str, typer.Option("--thresholds", help="static (0.5) or dynamic (tuned per axis on dev).")
    ] = "static",
    class_weights: Annotated[
        bool, typer.Option("--class-weights/--no-class-weights", help="pos_weight per axis.")
    ] = True,
    mask_types: Annotated[
        bool, typer.Option("--mask-types/--no-mask-types", help="Mask type mentions first.")
    ] = True,
    dev: Annotated[float, typer.Option("--dev", help="Dev fraction (split by author).")] = 0.1,
    test: Annotated[float, typer.Option("--test", help="Test fraction (split by author).")] = 0.2,
    push_to_hub: Annotated[str | None, typer.Option("--push-to-hub", help=hub.PUSH_HELP)] = None,
    *,
    args: TrainArgs,
) -> None:
    """Phase 3: fine-tune four axis heads on posts (split by author when there is one)."""
    from schemas.io import check_output_dir
    from train.data import load_data, parse_labels
    from train.splits import split_posts

    check_output_dir(out, overwrite=args.overwrite)
    ds, name, _ = load_data(posts, "posts", required=("text", "label"))
    parse_labels(ds["label"], file=name)
    splits = split_posts(ds, dev=dev, test=test, seed=args.seed)
    result = run_phase3(
        Phase3Config(
            train=splits["train"],
            dev=splits["dev"],
            test=splits["test"],
            init=init,
            out=out,
            silver_weight=silver_weight,
            class_weights=class_weights,
            thresholds=thresholds,  # type: ignore[arg-type]
            mask_types=mask_types,
            data_source=str(posts),
            args=args,
        )
    )
    typer.echo(format_axis_table(result.metrics))
    typer.echo(f"-> {result.model_dir}")
    if push_to_hub:
        typer.echo(f"-> {hub.push_to_hub(result.model_dir, push_to_hub)}")


def format_axis_table(metrics: dict[str, Any]) -> str:
    """A small text table of the per-axis metrics next to the majority baseline."""
    from schemas.labels import AXIS_NAMES

    lines = [f"{'axis':<6} {'acc':>6} {'macroF1':>8} {'AUC':>6} {'majority':>9} {'thr':>5}"]
    for axis in AXIS_NAMES:
        m = metrics.get(axis)
        if not m:
            continue
        auc = f"{m['auc']:.3f}" if m["auc"] is not None else "  n/a"
        lines.append(
            f"{axis:<6} {m['accuracy']:>6.3f} {m['macro_f1']:>8.3f} {auc:>6} "
            f"{m['majority_accuracy']:>9.3f} {m['threshold']:>5.2f}"
        )
    if "mean_axis_accuracy" in metrics:
        lines.append(
            f"mean axis accuracy {metrics['mean_axis_accuracy']:.3f} "
            f"(majority {metrics['majority_mean_axis_accuracy']:.3f}); "
            f"type accuracy {metrics['type_accuracy']:.3f}; "
            f"Hamming loss {metrics['hamming_loss']:.3f}"
        )
    return "\n".join(lines)
