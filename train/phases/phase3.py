"""``train phase3``: fine-tune on labelled texts for any task (``--task``): MBTI's four axis
heads (the default), one label, several labels, or a score for sentence pairs; cut-offs,
test metrics under the task's names, the majority baseline, per-author metrics."""

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
from train.tasks.columns import DataOptions, TaskData
from train.tasks.options import TaskOptions

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class Phase3Config:
    """Phase 3: fine-tune on labelled texts (``--task``; MBTI posts by default).

    The command line gives ``posts`` (any table; columns mapped with ``--text-col`` etc.),
    split here (by author where there is one) unless ``--dev``/``--test`` name files; the
    Python API (``train all``) may give the splits instead (``train``/``dev``/``test``, with
    ``source``: the validated posts they were cut from). ``init`` is a phase-1/phase-2 output
    dir, or a plain model name/path (plain fine-tuning).
    """

    posts: Path | None = option(
        None, argument=True, help="Labelled texts (MBTI: posts, optionally with silver rows)."
    )
    out: Path = option(help="Output model directory.")
    init: str | None = option(
        DEFAULT_MODEL, help="Phase-1/phase-2 output dir, or an encoder (plain fine-tuning)."
    )
    silver_weight: float = option(1.0, help="Loss weight of silver rows.")
    mask_types: bool = option(True, help="mbti: mask type mentions first.")
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
    task_options: TaskOptions = group(TaskOptions, panel="Task")
    columns: DataOptions = group(DataOptions, panel="Data")
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        if self.posts is None and self.train is None:
            raise InputError("missing argument POSTS")
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


def _task_data(cfg: Phase3Config) -> tuple[TaskData, dict[str, str]]:
    """The fitted task, its train/dev/test splits (read, mapped and split for the CLI; as
    given for the Python API, dev standing in for a missing test) and the input hashes."""
    from schemas.manifest import sha256_path
    from train.data import input_hashes
    from train.tasks.columns import load_task_data
    from train.tasks.options import build_task

    task = build_task(cfg.task_options, mask_types=cfg.mask_types)
    if cfg.train is None:
        data = load_task_data(cfg.posts, task, cfg.columns, seed=cfg.args.seed)
        hashes = {str(cfg.posts): sha256_path(cfg.posts)}
        for name in ("dev", "test"):
            spec = getattr(cfg.columns, name)
            if Path(spec).is_file():
                hashes[spec] = sha256_path(spec)
        return data, hashes
    source = cfg.source.name if cfg.source is not None else "<posts>"
    # the axis path validates MBTI posts itself
    fitted = task if task.name == "mbti" else task.fit(cfg.train, file=f"{source} (train)")
    test = cfg.test if cfg.test is not None else cfg.dev
    data = TaskData(fitted, cfg.train, cfg.dev, test, source)
    return data, input_hashes(cfg.source) if cfg.source is not None else {}


def class_pos_weight(bits: Any) -> list[float]:
    """Per-axis ``pos_weight`` = negatives / positives in the training labels."""
    pos = bits.sum(axis=0).astype(float)
    return [float(n) for n in (len(bits) - pos) / pos]


def run_phase3(cfg: Phase3Config) -> PhaseResult:
    """Train phase 3 on the training split, select on dev, evaluate on test."""
    from schemas.io import check_output_dir
    from schemas.manifest import Manifest
    from train.logs import configure

    check_output_dir(cfg.out, overwrite=cfg.args.overwrite)
    data, hashes = _task_data(cfg)
    configure(cfg.args)
    manifest = Manifest("train phase3", seed=cfg.args.seed).add(inputs=hashes)
    if data.task.name == "mbti":
        return _run_axes(cfg, data, manifest)
    if cfg.task_options.pair_model == "bi":
        return _run_bi_encoder(cfg, data, manifest)
    return _run_task(cfg, data, manifest)


def _run_bi_encoder(cfg: Phase3Config, data: TaskData, manifest: Any) -> PhaseResult:
    """Regression with ``--pair-model bi``: a sentence-transformers model (cosine scores)."""
    import shutil

    from schemas.io import publish
    from train.phases.trainer import checkpoint_dir
    from train.tasks.bi_encoder import save_bi_encoder, train_bi_encoder

    result = train_bi_encoder(data, cfg.init, cfg.out, cfg.args)
    counts = {k: v for k, v in result.metrics.items() if k.startswith("n_")}
    with publish(
        cfg.out, manifest=manifest.finish(counts=counts), overwrite=cfg.args.overwrite
    ) as output:
        save_bi_encoder(result.model, data.task, output.dir)
        output.json("metrics.json", result.metrics)
    shutil.rmtree(checkpoint_dir(cfg.out), ignore_errors=True)
    targets = data.task.targets(data.test, file=data.source)
    return PhaseResult(Path(cfg.out), result.metrics, [], result.test_scores, targets)


def _run_task(cfg: Phase3Config, data: TaskData, manifest: Any) -> PhaseResult:
    """Any task but MBTI: a :class:`~train.models.TaskModel` via :func:`finetune`."""
    from train.phases.trainer import finish_phase
    from train.tasks.finetune import finetune

    result = finetune(data, cfg.init, cfg.out, cfg.args, silver_weight=cfg.silver_weight)
    metrics = result.metrics
    train_targets = result.task.targets(data.train, file=data.source)
    metrics.update(
        _author_metrics(
            result.task, data.test, result.test_targets, result.test_scores, train_targets
        )
    )
    metrics.update(evaluated_on="test" if cfg.train is None or cfg.test is not None else "dev")
    return finish_phase(
        cfg.out,
        result.trainer,
        result.tokenizer,
        metrics,
        manifest,
        cfg.args,
        test_probs=result.test_scores,
        test_labels=result.test_targets,
    )


def _author_metrics(
    task: Any, test: datasets.Dataset, targets: Any, scores: Any, train_targets: Any
) -> dict[str, Any]:
    """``{"per_author": ...}``: the test metrics over authors (post scores averaged), when
    the test rows name their authors."""
    from train.tasks.authors import author_metrics

    if len(test) == 0 or "author" not in test.column_names or not any(test["author"]):
        return {}
    authors = list(test["author"])
    return {"per_author": author_metrics(task, authors, targets, scores, train_targets)}


def _run_axes(cfg: Phase3Config, data: TaskData, manifest: Any) -> PhaseResult:
    """MBTI: four axis heads (:class:`~train.models.MbtiAxisClassifier`)."""
    import dataclasses

    import numpy as np

    from schemas.labels import AXIS_NAMES
    from train.data import check_both_classes
    from train.data import tokenize as tokenize_ds

    args, opts = cfg.args, cfg.task_options
    train, validated = data.train, cfg.train is None
    source = data.source
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
    from train.tasks.finetune import predict_in_order

    has_test = data.test is not data.dev
    dev_ds, dev_bits, m_dev = _prepare_split(data.dev, f"{source} (dev)", cfg, validated=validated)
    if has_test:
        test_ds, test_bits, m_test = _prepare_split(
            data.test, f"{source} (test)", cfg, validated=validated
        )
    else:
        test_ds, test_bits, m_test = dev_ds, dev_bits, 0
    if opts.thresholds == "dynamic" and len(dev_ds) == 0:
        raise InputError("dynamic thresholds need dev posts (the dev split is empty)")
    init = load_init(cfg.init, phase=3)

    config = AxisClassifierConfig(
        encoder=encoder_config_dict(init.encoder),
        pos_weight=class_pos_weight(train_bits) if opts.class_weights else None,
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
        logits = predict_in_order(trainer, ds)
        return 1 / (1 + np.exp(-np.asarray(logits, dtype=np.float64)))

    thresholds = [0.5] * 4
    if opts.thresholds == "dynamic":
        thresholds = tune_thresholds(dev_bits, probs_of(dev_t))
    trainer.model.config.thresholds = thresholds
    test_probs = probs_of(test_t) if test_t is not None else np.zeros((0, 4))
    metrics = axis_metrics(test_bits, test_probs, thresholds) if len(test_bits) else {}
    majority = majority_baseline(train_bits, test_bits) if len(test_bits) else {}
    for axis in AXIS_NAMES:
        if axis in metrics:
            metrics[axis]["majority_accuracy"] = majority[axis]["accuracy"]
            metrics[axis]["majority_macro_f1"] = majority[axis]["macro_f1"]
    if has_test:
        task = dataclasses.replace(data.task, cutoffs=tuple(thresholds))
        metrics.update(_author_metrics(task, data.test, test_bits, test_probs, train_bits))
    metrics.update(
        majority_mean_axis_accuracy=majority.get("mean_axis_accuracy"),
        evaluated_on="test" if has_test else "dev",
        thresholds_mode=opts.thresholds,
        n_train=len(train_ds),
        n_dev=len(dev_ds),
        n_test=len(test_ds) if has_test else 0,
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
        test_probs=test_probs if has_test else None,
        test_labels=test_bits if has_test else None,
    )


def _count_silver(ds: Any) -> int:
    return int(sum(ds["is_silver"])) if "is_silver" in ds.column_names else 0


def command(cfg: Phase3Config) -> None:
    """Phase 3: fine-tune on labelled texts (--task; MBTI's four axes by default), split by
    author when there is one."""
    result = run_phase3(cfg)
    if cfg.task_options.task == "mbti":
        typer.echo(format_axis_table(result.metrics))
    else:
        typer.echo(format_task_metrics(cfg.task_options.task, result.metrics))
    typer.echo(f"-> {result.model_dir}")
    if cfg.push_to_hub and is_main_process():
        typer.echo(f"-> {hub.push_to_hub(result.model_dir, cfg.push_to_hub)}")


def format_task_metrics(task: str, metrics: dict[str, Any]) -> str:
    """The task's headline test metrics (and per-author ones) on one line each."""
    from train.tasks import task_class

    names = [*task_class(task).report_metrics, "majority_accuracy", "majority_macro_f1"]

    def line(m: dict[str, Any]) -> str:
        return ", ".join(f"{k} {m[k]:.3f}" for k in names if isinstance(m.get(k), float))

    lines = [f"test ({metrics.get('n_test', 0)} rows): {line(metrics)}"]
    if "per_author" in metrics:
        lines.append(
            f"per author ({metrics['per_author']['n_authors']}): {line(metrics['per_author'])}"
        )
    return "\n".join(lines)


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
