"""``train phase3``: fine-tune on labelled texts for any task (``--task``): MBTI's four axes
(the default), one label, several labels, or a score for sentence pairs; one path for every
task (:func:`finetune`: a :class:`~train.models.TaskModel` trained by the engine), cut-offs,
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
from train.engine.args import TrainArgs
from train.engine.data import Loaded
from train.engine.distributed import is_main_process
from train.engine.finetune import FinetuneResult
from train.engine.result import PhaseResult
from train.tasks.columns import DataOptions, TaskData
from train.tasks.options import TaskOptions, pair_model_for

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
    silver_weight: float = option(1.0, help="Loss weight of silver rows.", ge=0)
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


def _task_data(cfg: Phase3Config) -> tuple[TaskData, dict[str, str]]:
    """The fitted task, its train/dev/test splits (read, mapped and split for the CLI; as
    given for the Python API, dev standing in for a missing test) and the input hashes."""
    from schemas.manifest import sha256_path
    from train.engine.data import input_hashes
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
    fitted = task.fit(cfg.train, file=f"{source} (train)")
    test = cfg.test if cfg.test is not None else cfg.dev
    data = TaskData(fitted, cfg.train, cfg.dev, test, source)
    return data, input_hashes(cfg.source) if cfg.source is not None else {}


def finetune(
    data: TaskData,
    init: str | Path | None,
    out: str | Path,
    args: TrainArgs,
    *,
    silver_weight: float = 1.0,
    phase: int = 3,
    provenance: dict[str, Any] | None = None,
) -> FinetuneResult:
    """A new :class:`~train.models.TaskModel` for ``data.task`` on ``init`` (a phase-1/2
    output or a pretrained encoder), trained by the engine (:func:`~train.engine.finetune.
    fit_task`); the model's config carries the tuned task. Phase 1 uses it too (``phase=1``);
    ``provenance`` is the lineage's record of the data (default: its source and size)."""
    from train.engine.finetune import fit_task
    from train.models.init import load_init
    from train.models.task_model import build_task_model

    init_src = load_init(init, phase=phase, flag="--model" if phase == 1 else "--init")
    model = build_task_model(
        init_src,
        data.task,
        phase=phase,
        head_dropout=args.head_dropout,
        head_sizes=[] if phase == 3 and args.head == "linear" else None,
        seed=args.seed,
        data=provenance or {"source": data.source, "rows": len(data.train)},
    )
    result = fit_task(model, data, init_src.tokenizer, args, out, silver_weight=silver_weight)
    result.trainer.model.config.task_spec = result.task.to_config()
    return result


def run_phase3(cfg: Phase3Config) -> PhaseResult:
    """Train phase 3 on the training split, select on dev, evaluate on test."""
    from schemas.io import check_output_dir
    from schemas.manifest import Manifest
    from train.engine.logs import configure

    check_output_dir(cfg.out, overwrite=cfg.args.overwrite)
    data, hashes = _task_data(cfg)
    configure(cfg.args)
    manifest = Manifest("train phase3", seed=cfg.args.seed).add(inputs=hashes)
    if cfg.task_options.task == "regression" and pair_model_for(cfg.task_options, cfg.init) == "bi":
        return _run_bi_encoder(cfg, data, manifest)
    return _run_task(cfg, data, manifest)


def _run_bi_encoder(cfg: Phase3Config, data: TaskData, manifest: Any) -> PhaseResult:
    """Regression with ``--pair-model bi``: a sentence-transformers model (cosine scores)."""
    import shutil

    from schemas.io import publish
    from train.engine.trainer import checkpoint_dir
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
    """A :class:`~train.models.TaskModel` via :func:`finetune`."""
    from train.engine.trainer import finish_phase
    from train.tasks.authors import per_author_section

    result = finetune(data, cfg.init, cfg.out, cfg.args, silver_weight=cfg.silver_weight)
    metrics = result.metrics
    train_targets = result.task.targets(data.train, file=data.source)
    metrics.update(
        per_author_section(
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


def command(cfg: Phase3Config) -> None:
    """Phase 3: fine-tune on labelled texts (--task; MBTI's four axes by default), split by
    author when there is one."""
    if cfg.push_to_hub and is_main_process():
        hub.check_push(cfg.push_to_hub)  # before the training, not after it
    result = run_phase3(cfg)
    typer.echo(format_task_metrics(cfg.task_options.task, result.metrics))
    cfg.args.say(f"-> {result.model_dir}")
    if cfg.push_to_hub and is_main_process():
        cfg.args.say(f"-> {hub.push_to_hub(result.model_dir, cfg.push_to_hub)}")


def format_task_metrics(task: str, metrics: dict[str, Any]) -> str:
    """The task's headline test metrics (and per-author ones) on one line each."""
    from train.tasks import task_class
    from train.tasks.base import metric_value

    names = [*task_class(task).report_metrics, "majority_accuracy", "majority_macro_f1"]
    names.append("majority_mean_axis_accuracy")

    def line(m: dict[str, Any]) -> str:
        values = {k: metric_value(m, k) for k in names}
        return ", ".join(f"{k} {v:.3f}" for k, v in values.items() if v is not None)

    lines = [f"test ({metrics.get('n_test', 0)} rows): {line(metrics)}"]
    if "per_author" in metrics:
        lines.append(
            f"per author ({metrics['per_author']['n_authors']}): {line(metrics['per_author'])}"
        )
    return "\n".join(lines)
