"""``train phase3``: fine-tune four MBTI axis heads on posts; thresholds, per-axis metrics,
baselines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import typer

from schemas import hub
from schemas.errors import InputError
from schemas.options import group, option
from train.data import Loaded
from train.distributed import is_main_process
from train.phases.args import TrainArgs
from train.phases.result import PhaseResult

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class Phase3Config:
    """Phase 3: fine-tune four MBTI axis heads on posts (``posts`` schema).

    The command line gives ``posts``, split here by author (``--dev``/``--test``); the Python
    API (``train all``) may give the splits instead (``train``/``dev``/``test``, with
    ``source``: the validated posts they were cut from). ``init`` is a phase-1/phase-2 output
    dir, or a plain model name/path (plain fine-tuning).
    """

    posts: Path | None = option(
        None, argument=True, help="Posts (gold, optionally with silver rows)."
    )
    out: Path = option(help="Output model directory.")
    init: str | None = option(
        DEFAULT_MODEL, help="Phase-1/phase-2 output dir, or an encoder (plain fine-tuning)."
    )
    silver_weight: float = option(1.0, help="Loss weight of silver rows.")
    thresholds: str = option("static", help="static (0.5) or dynamic (tuned per axis on dev).")
    class_weights: bool = option(True, help="pos_weight per axis.")
    mask_types: bool = option(True, help="Mask type mentions first.")
    dev_fraction: float = option(0.1, flag="--dev", help="Dev fraction (split by author).")
    test_fraction: float = option(0.2, flag="--test", help="Test fraction (split by author).")
    push_to_hub: str | None = option(None, help=hub.PUSH_HELP)
    train: datasets.Dataset | None = option(
        None, cli=False, help="Training posts, already split (instead of posts)."
    )
    dev: datasets.Dataset | None = option(None, cli=False, help="Dev posts, already split.")
    test: datasets.Dataset | None = option(
        None, cli=False, help="Test posts (None: evaluate on dev)."
    )
    source: Loaded | None = option(
        None, cli=False, help="The validated posts the splits were cut from (names, manifest)."
    )
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        if self.posts is None and self.train is None:
            raise InputError("missing argument POSTS")
        if self.thresholds not in ("static", "dynamic"):
            raise InputError(f"unknown thresholds {self.thresholds!r} (static or dynamic)")
        if self.silver_weight < 0:
            raise InputError(f"--silver-weight must be >= 0, got {self.silver_weight}")


def _prepare_split(
    ds: datasets.Dataset, name: str, cfg: Phase3Config, *, validated: bool
) -> tuple[Any, Any, int]:
    """Split -> (data set with ``labels``/``sample_weight``, bits, n_masked); rows not cut
    from validated posts are validated first."""
    import numpy as np

    from train.data import axis_bits, load_data, mask_types, parse_labels

    if not validated:
        ds = load_data(ds, "posts", required=("text", "label")).dataset
    bits = axis_bits(parse_labels(ds["label"], file=name))
    # in memory: adding a column to a split of a saved data set (a selection of its rows)
    # would write a cache file into the input's folder
    ds = ds.flatten_indices(keep_in_memory=True)
    n_masked = 0
    if cfg.mask_types:
        ds, n_masked = mask_types(ds)
    silver = ds["is_silver"] if "is_silver" in ds.column_names else [False] * len(ds)
    weights = [cfg.silver_weight if s else 1.0 for s in silver]
    ds = ds.select_columns(["text"])
    ds = ds.add_column("labels", bits.astype(np.float32).tolist())
    ds = ds.add_column("sample_weight", weights)
    return ds, bits, n_masked


def _splits(cfg: Phase3Config) -> tuple[dict[str, Any], Loaded | None]:
    """The train/dev/test posts and the posts they came from (read and split for the CLI)."""
    from train.data import load_data, parse_labels
    from train.splits import split_posts

    if cfg.train is not None:
        return {"train": cfg.train, "dev": cfg.dev, "test": cfg.test}, cfg.source
    source = load_data(cfg.posts, "posts", required=("text", "label"))
    parse_labels(source.dataset["label"], file=source.name)
    splits = split_posts(
        source.dataset, dev=cfg.dev_fraction, test=cfg.test_fraction, seed=cfg.args.seed
    )
    return splits, source


def class_pos_weight(bits: Any) -> list[float]:
    """Per-axis ``pos_weight`` = negatives / positives in the training labels."""
    pos = bits.sum(axis=0).astype(float)
    return [float(n) for n in (len(bits) - pos) / pos]


def run_phase3(cfg: Phase3Config) -> PhaseResult:
    """Train phase 3 on the training posts, select on dev, evaluate on test."""
    import numpy as np

    from schemas.io import check_output_dir
    from schemas.labels import AXIS_NAMES
    from schemas.manifest import Manifest
    from train.data import check_both_classes, input_hashes
    from train.data import tokenize as tokenize_ds

    args = cfg.args
    check_output_dir(cfg.out, overwrite=args.overwrite)
    splits, posts = _splits(cfg)
    train, validated = splits["train"], posts is not None
    source = posts.name if posts is not None else "<posts>"
    manifest = Manifest("train phase3", seed=args.seed)
    manifest.add(inputs=input_hashes(posts) if posts is not None else {})
    prov = {"source": source, "fingerprint": train._fingerprint, "rows": len(train)}
    train_ds, train_bits, n_masked = _prepare_split(
        train, f"{source} (train)", cfg, validated=validated
    )
    check_both_classes(train_bits, file=source)
    # torch-backed modules only once the data has passed its checks (fast bad-input exits)
    from transformers import set_seed

    from train.distributed import main_process_first
    from train.encoders import encoder_config_dict, lineage_entry, load_init, transfer_encoder
    from train.metrics import axis_metrics, majority_baseline, tune_thresholds
    from train.models import AxisClassifierConfig, MbtiAxisClassifier
    from train.phases.collators import ClassificationCollator
    from train.phases.trainer import finish_phase, fit, pad_multiple

    dev_ds, dev_bits, m_dev = _prepare_split(
        splits["dev"], f"{source} (dev)", cfg, validated=validated
    )
    if splits["test"] is not None:
        test_ds, test_bits, m_test = _prepare_split(
            splits["test"], f"{source} (test)", cfg, validated=validated
        )
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
    set_seed(args.seed)  # the new head's weights: the same in every process
    model = MbtiAxisClassifier(config)
    transfer_encoder(model, init.encoder)
    tok = init.tokenizer
    with main_process_first(args):
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
        evaluated_on="test" if splits["test"] is not None else "dev",
        thresholds_mode=cfg.thresholds,
        n_train=len(train_ds),
        n_dev=len(dev_ds),
        n_test=len(test_ds) if splits["test"] is not None else 0,
        n_silver=_count_silver(train),
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
        test_probs=test_probs if splits["test"] is not None else None,
        test_labels=test_bits if splits["test"] is not None else None,
    )


def _count_silver(ds: Any) -> int:
    return int(sum(ds["is_silver"])) if "is_silver" in ds.column_names else 0


def command(cfg: Phase3Config) -> None:
    """Phase 3: fine-tune four axis heads on posts (split by author when there is one)."""
    result = run_phase3(cfg)
    typer.echo(format_axis_table(result.metrics))
    typer.echo(f"-> {result.model_dir}")
    if cfg.push_to_hub and is_main_process():
        typer.echo(f"-> {hub.push_to_hub(result.model_dir, cfg.push_to_hub)}")


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
