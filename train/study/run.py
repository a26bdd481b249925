"""``train all``, the study of any task (``--task mbti`` the default): per seed, split the
data once (by author where there is one; or use the given ``--dev``/``--test`` files), then
per fraction of the training split fit

- plain fine-tuning of ``--model`` (a :class:`~train.models.TaskModel`, phase 3 alone),
- TF-IDF + the task's linear model,
- the task's linear model on the frozen encoder's embeddings (``frozen``),
- the majority baseline,
- with ``--type-sentences``/``--masked``, the three-phase recipe (``mlm``): per seed phase 1
  on the label-description sentences and phase 2 on the masked sentences, over the task's
  label set, then phase 3 fine-tuned from the phase-2 encoder; ``p13``, phase 3 from the
  phase-1 encoder (what phase 2 adds is ``mlm`` − ``p13``); and ``frozen_mlm``, the task's
  linear model on the phase-2 encoder's frozen embeddings (what phases 1 and 2 put into the
  features is ``frozen_mlm`` − ``frozen``),

each scored by the task's own test metrics (and per author where the data name authors).
It works in a staging directory ``.<out>.partial`` with ``*.run.json`` records (``--resume``
skips finished runs) and publishes ``report.md``, ``metrics.json`` and the PNGs at the end;
only the full-data models of plain fine-tuning and the recipe are kept.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from schemas.errors import InputError
from schemas.io import publish, staging_dir, write_json
from schemas.manifest import Manifest, sha256_path
from train.engine.data import Loaded, authors_of
from train.engine.distributed import barrier, is_main_process, main_process_writes, shows_progress
from train.study.config import StudyConfig
from train.study.results import (
    FINE_TUNED_ARMS,
    FROZEN_RECIPE,
    RECIPE,
    RECIPE_ARMS,
    TASK_ARMS,
    Run,
)
from train.tasks.base import Task
from train.tasks.columns import TaskData
from train.tasks.options import pair_model_for

KEPT_ARMS = ("plain", RECIPE)
"""The fine-tuned arms whose full-data models a study keeps (what a user predicts and serves
with); ``p13`` is a diagnostic of what phase 2 adds."""


@dataclass
class StudyData:
    """Per seed the split data (task fitted on it), per (seed, fraction) the subset, and the
    phase-1/2 data (read and checked against the task's label set) when given."""

    task: Task
    splits: dict[int, TaskData]
    subsets: dict[tuple[int, float], TaskData]
    type_sentences: Loaded | None = None
    masked: Loaded | None = None

    @property
    def arms(self) -> tuple[str, ...]:
        """The compared arms: the baselines, plain fine-tuning, and the recipe when given."""
        return (*TASK_ARMS, *RECIPE_ARMS) if self.type_sentences is not None else TASK_ARMS


def prepare(cfg: StudyConfig) -> StudyData:
    """Read, check and split everything before anything is written (bad input -> error)."""
    from schemas.io import check_output_dir
    from schemas.models import resolve_model
    from train.models.init import read_model_type
    from train.tasks.columns import load_task_data
    from train.tasks.options import build_task
    from train.tasks.splits import subsample

    check_output_dir(cfg.out, overwrite=cfg.args.overwrite)
    read_model_type(resolve_model(cfg.model), flag="--model")
    task = build_task(cfg.task_options, mask_types=cfg.mask_types)
    splits, subsets = {}, {}
    for seed in cfg.seed_list:
        data = load_task_data(cfg.posts, task, cfg.columns, seed=seed)
        for part in ("train", "test"):
            if len(getattr(data, part)) == 0:
                raise InputError(f"too few rows (or authors) for a {part} split", file=data.source)
        splits[seed] = data
        for fraction in cfg.fraction_list:
            train = subsample(data.train, fraction, strata=task.strata(data.train), seed=seed)
            what = f"{data.source} (seed {seed}, fraction {fraction:g}: {len(train)} rows)"
            fitted = data.task.fit(train, file=what)
            subsets[(seed, fraction)] = replace(data, task=fitted, train=train)
    out = StudyData(task, splits, subsets)
    if cfg.has_phases:
        out.type_sentences, out.masked = _phase_data(cfg, splits[cfg.seed_list[0]].task)
    return out


def _phase_data(cfg: StudyConfig, task: Task) -> tuple[Loaded, Loaded]:
    """The phase-1/2 data, read and validated, every label checked against ``task``'s."""
    from train.engine.data import load_data
    from train.tasks.row_labels import row_labels

    loaded = (
        load_data(cfg.type_sentences, "type_sentences", required=("text", "label")),
        load_data(cfg.masked, "masked", required=("text", "label", "candidates")),
    )
    for data in loaded:
        row_labels(
            data.dataset["label"],
            cfg.task_options,
            file=data.name,
            label_set=task.phase_labels,
            label_set_of=f"the task (labels of {cfg.posts})",
        )
    return loaded


def run_study(cfg: StudyConfig) -> tuple[Path, list[Run]]:
    """Run every arm over seeds and fractions; publish the report; returns ``out``, runs."""
    from train.engine.data import input_hashes
    from train.study.pretrain import pretrain
    from train.study.records import cached
    from train.study.report import write_report

    data = prepare(cfg)
    manifest = Manifest("train all", seed=cfg.args.seed)
    manifest.add(inputs={str(cfg.posts): sha256_path(cfg.posts)})
    for loaded in (data.type_sentences, data.masked):
        if loaded is not None:
            manifest.add(inputs=input_hashes(loaded))
    from train.tasks.baselines import FrozenEncoder

    fractions = sorted(cfg.fraction_list, reverse=True)
    encoding = {
        "batch_size": cfg.args.eval_batch_size or 32,
        "precision": cfg.encoding.encode_precision,
        "backend": cfg.encoding.encode_backend,
        "devices": cfg.encoding.device_list(),
    }
    encoder = FrozenEncoder(cfg.model, **encoding)
    runs: list[Run] = []
    # under a launcher rank 0 alone stages, reports and publishes; the others train with it
    with main_process_writes(cfg.args) as main, contextlib.ExitStack() as stack:
        if main:
            stack.enter_context(
                publish(cfg.out, overwrite=cfg.args.overwrite, resume=cfg.args.resume)
            )
        barrier(cfg.args)  # the staging directory is there
        stage = staging_dir(cfg.out)
        total = cfg.seeds * (len(fractions) * len(data.arms) + 2 * cfg.has_phases)
        bar_off = not shows_progress(cfg.args)
        with tqdm(total=total, desc="train all", unit="run", disable=bar_off) as bar:
            for seed in cfg.seed_list:
                inits = {"plain": cfg.model}
                encoders = {"frozen": encoder}
                exported: Path | None = None
                if data.type_sentences is not None and data.masked is not None:
                    pre = pretrain(
                        cfg,
                        data.type_sentences,
                        data.masked,
                        seed,
                        stage,
                        bar,
                        label_set=data.splits[seed].task.phase_labels,
                    )
                    runs += pre
                    inits["p13"] = str(stage / str(pre[0].model_dir))
                    inits["mlm"] = str(stage / str(pre[1].model_dir))
                    exported = _phase_encoder(cfg, stage, seed, inits["mlm"], fractions, main)
                    encoders[FROZEN_RECIPE] = FrozenEncoder(str(exported), **encoding)
                for fraction in fractions:
                    subset = data.subsets[(seed, fraction)]
                    base = stage / f"seed{seed}" / f"fraction{fraction:g}"
                    for arm in data.arms:
                        make = partial(
                            _arm,
                            cfg,
                            arm,
                            seed,
                            fraction,
                            subset,
                            inits.get(arm),
                            encoders.get(arm),
                        )
                        runs.append(cached(stage, base / arm, bar, make, cfg.args))
                if main and exported is not None:  # not part of the study's output
                    shutil.rmtree(exported, ignore_errors=True)
        if main:
            write_report(runs, stage, data.task, describe(cfg, data, runs))
            write_json(stage / "manifest.json", manifest.finish(counts={"runs": len(runs)}))
    return cfg.out, runs


PHASE_ENCODER = "phase2_sentence_encoder"


def _phase_encoder(
    cfg: StudyConfig, stage: Path, seed: int, phase2: str, fractions: list[float], main: bool
) -> Path:
    """The phase-2 encoder as a sentence encoder for the ``frozen_mlm`` arm, exported once a
    seed by rank 0 (``save_pretrained`` writes on rank 0 alone) when a run still needs it."""
    from train.models.sentence_encoder import export_sentence_encoder

    out = stage / f"seed{seed}" / PHASE_ENCODER
    records = [
        stage / f"seed{seed}" / f"fraction{f:g}" / f"{FROZEN_RECIPE}.run.json" for f in fractions
    ]
    if main and not out.exists() and not all(r.exists() for r in records):
        export_sentence_encoder(phase2, out)
    barrier(cfg.args)
    return out


def _arm(
    cfg: StudyConfig,
    arm: str,
    seed: int,
    fraction: float,
    data: TaskData,
    init: str | None,
    encoder: Any,
    out: Path,
) -> Run:
    """One arm's run on one seed's (subset of the) data; ``init``: the encoder a fine-tuned
    arm starts from (``--model``, or the phase-2 output); ``encoder``: a frozen arm's (the
    base model's, or the phase-2 model's); ``out``: its model directory."""
    from train.tasks.authors import per_author_section
    from train.tasks.baselines import frozen_baseline, majority_baseline, tfidf_baseline

    task = data.task
    train_targets = task.targets(data.train, file=data.source)
    test_targets = task.targets(data.test, file=data.source)
    log_history: list[dict[str, Any]] = []
    model_dir = None
    if arm == "plain" and task.needs_pair and pair_model_for(cfg.task_options, init) == "bi":
        from train.tasks.bi_encoder import save_bi_encoder, train_bi_encoder

        bi = train_bi_encoder(data, init, out, cfg.seed_args(seed))
        metrics, scores = bi.metrics, bi.test_scores
        if fraction >= 1:
            save_bi_encoder(bi.model, task, out)
            model_dir = str(out)
    elif arm in FINE_TUNED_ARMS:
        from train.phases.phase3 import finetune

        result = finetune(data, init, out, cfg.seed_args(seed), silver_weight=cfg.silver_weight)
        metrics, scores, task = result.metrics, result.test_scores, result.task
        log_history = list(result.trainer.state.log_history)
        if fraction >= 1 and arm in KEPT_ARMS:
            result.trainer.model.save_pretrained(out)
            result.tokenizer.save_pretrained(out)
            model_dir = str(out)
    else:
        if arm in ("frozen", FROZEN_RECIPE):
            base = frozen_baseline(data, encoder, seed=seed)
        elif arm == "tfidf":
            base = tfidf_baseline(data, seed=seed)
        else:
            base = majority_baseline(data)
        metrics, scores, task = base.metrics, base.test_scores, base.task
    if arm in FINE_TUNED_ARMS:
        from train.engine.trainer import checkpoint_dir

        shutil.rmtree(checkpoint_dir(out), ignore_errors=True)
    metrics.update(per_author_section(task, data.test, test_targets, scores, train_targets))
    return Run(
        seed,
        fraction,
        arm,
        metrics,
        len(data.train),
        0.0,
        model_dir,
        log_history,
        scores.tolist(),
        test_targets.tolist(),
    )


def describe(cfg: StudyConfig, data: StudyData, runs: list[Run]) -> dict[str, Any]:
    """The report's setup section."""
    first = data.splits[cfg.seed_list[0]]
    args = cfg.args.for_task(data.task)
    by_author = authors_of(first.train) is not None
    return {
        "task": data.task.name,
        "model": cfg.model or "bundled:all-MiniLM-L6-v2",
        **(
            {"pair model": pair_model_for(cfg.task_options, cfg.model)}
            if data.task.needs_pair
            else {}
        ),
        "data": f"{cfg.posts}",
        "seeds": ", ".join(map(str, cfg.seed_list)),
        "fractions of training rows": ", ".join(f"{f:g}" for f in cfg.fraction_list),
        "split (first seed)": f"train {len(first.train)}, dev {len(first.dev)}, "
        f"test {len(first.test)}" + (" (by author)" if by_author else ""),
        **(
            {"label-description / masked sentences": f"{cfg.type_sentences} / {cfg.masked}"}
            if cfg.has_phases
            else {}
        ),
        "training": args.describe(),
        "minutes of training": f"{sum(r.seconds for r in runs) / 60:.1f}",
    }


def command(cfg: StudyConfig) -> None:
    """Plain fine-tuning vs TF-IDF vs the majority baseline, and with --type-sentences and
    --masked the three-phase recipe (phase 1 -> phase 2 -> phase 3), over seeds, with a report.

    Works in .<out>.partial beside --out (--resume continues there) and renames it to --out
    when the report is written.
    """
    from train.engine.logs import configure
    from train.study.report import print_comparison

    configure(cfg.args)
    result_dir, runs = run_study(cfg)
    if not is_main_process():
        return
    print_comparison(runs, cfg.task_options.task)
    cfg.args.say(f"report: {result_dir / 'report.md'}")
