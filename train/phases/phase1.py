"""``train phase1``: classify label-description sentences with the study's head: MBTI's
type-article sentences (four axes, or the 16 types), or any task's label set (softmax)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import datasets
import typer

from schemas.errors import InputError
from schemas.options import group, option
from train.engine.args import TrainArgs
from train.engine.data import Loaded
from train.engine.result import PhaseResult
from train.tasks.base import Task
from train.tasks.options import LabelOptions

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class Phase1Config:
    """Phase 1: classify label-description sentences (``type_sentences`` schema).

    ``--task mbti`` (the default): the 16 types, as the task's four axes or one softmax
    (``target``).
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
    dev_fraction: float = option(
        0.1, cli=False, help="Share of sentences held out for dev.", ge=0, lt=1
    )
    task_options: LabelOptions = group(LabelOptions, panel="Task")
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        from train.tasks import task_class

        if self.data is None and self.dataset is None:
            raise InputError("missing argument DATA (the label-description sentences)")
        self.task_options.check_label_set()
        targets = task_class(self.task_options.task).phase1_targets
        self.target = self.target or targets[0]
        if self.target not in targets:
            raise InputError(
                f"--task {self.task_options.task} takes --target {' or '.join(targets)}, "
                f"not {self.target!r}",
                field="--target",
            )


def phase1_task(cfg: Phase1Config, label_set: tuple[str, ...]) -> Task:
    """What phase 1 learns: the task itself (``axes``: MBTI's four sigmoid axes) or one
    softmax over the label set (``type``)."""
    from train.tasks import SingleLabelTask
    from train.tasks.options import TaskOptions, build_task

    if cfg.target == "type":
        return SingleLabelTask(labels=label_set)
    return build_task(TaskOptions(task=cfg.task_options.task), mask_types=False)


def run_phase1(cfg: Phase1Config) -> PhaseResult:
    """Train phase 1 (a :class:`~train.models.TaskModel`, as phase 3) and write its model
    directory to ``cfg.out``."""
    from train.engine.inputs import open_phase_data
    from train.engine.logs import configure
    from train.engine.trainer import finish_phase
    from train.phases.phase3 import finetune
    from train.tasks.columns import TaskData
    from train.tasks.options import TaskOptions, build_task
    from train.tasks.row_labels import row_labels
    from train.tasks.splits import assign_splits

    # phase 1's encoder is an intermediate: WiSE-FT would choose its mix on the type sentences'
    # dev (flat across mixes: 0.63-0.65 in the Kaggle -> MbtiBench study) and pull the encoder
    # back towards the one phase 1 exists to move; phase 3 mixes
    args = replace(cfg.args, wise_ft=False)
    loaded, manifest = open_phase_data(cfg, "train phase1", "type_sentences", ("text", "label"))
    ds, name, provenance = loaded
    rows = row_labels(ds["label"], cfg.task_options, file=name, label_set=cfg.label_set)
    # the texts the task's model sees (MBTI: type mentions masked), with canonical labels
    seen = build_task(TaskOptions(task=cfg.task_options.task), mask_types=cfg.mask_types)
    ds = datasets.Dataset.from_dict({"text": seen.texts(ds), "label": rows.names})
    n_masked = sum(a != b for a, b in zip(loaded.dataset["text"], ds["text"], strict=True))
    split = assign_splits(
        rows.names, [str(i) for i in range(len(ds))], dev=cfg.dev_fraction, test=0.0,
        seed=args.seed,
    )  # fmt: skip
    train = ds.select([i for i, s in enumerate(split) if s == "train"])
    dev = ds.select([i for i, s in enumerate(split) if s == "dev"])
    task = phase1_task(cfg, rows.label_set).fit(train, file=name)
    configure(args)
    data = TaskData(task, train, dev, dev, name)
    result = finetune(data, cfg.model, cfg.out, args, phase=1, provenance=provenance)
    metrics = {
        **result.metrics,
        "dev_metric": task.dev_metric,
        "target": cfg.target,
        "n_masked": n_masked,
        "evaluated_on": "dev",
    }
    return finish_phase(cfg.out, result.trainer, result.tokenizer, metrics, manifest, args)


def command(cfg: Phase1Config) -> None:
    """Phase 1: classify label-description sentences with the study's head: MBTI's type
    sentences by default; any label set with --task single/multi (a sentence is about one
    label: one softmax over the set, for multi too; regression has no label set)."""
    result = run_phase1(cfg)
    metric = result.metrics.get(result.metrics["dev_metric"])
    shown = f"{metric:.3f}" if isinstance(metric, float) else "n/a (no dev rows)"
    typer.echo(f"phase 1: dev {result.metrics['dev_metric']} {shown} -> {result.model_dir}")
