"""``train all``: the study. Per seed, split the posts once, then train

- phase 1 -> phase 2 -> phase 3 (``mlm``, the full recipe),
- phase 3 from the base model (``plain`` fine-tuning),
- TF-IDF + logistic regression (``tfidf``),

with phase 3 and the baseline repeated on fractions of the training posts (the low-data
curve). Everything runs in a staging directory ``.<out>.partial`` beside ``out``: each
finished run leaves a ``*.run.json`` record there (``--resume`` skips runs that have one and
continues a half-trained phase from its checkpoint); the report is written last and the
staging directory renamed to ``out`` only when the whole study is complete. Phase-3 models of
fractions below 1 are not kept (only their records).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import datasets
import typer
from tqdm.auto import tqdm

from schemas.errors import InputError
from schemas.io import publish, staging_dir, write_json
from schemas.manifest import Manifest
from schemas.models import resolve_model
from train.data import Loaded
from train.distributed import barrier, is_main_process, main_process_writes, shows_progress
from train.study.config import StudyConfig
from train.study.pretrain import pretrain
from train.study.records import cached
from train.study.results import Run


@dataclass
class StudyData:
    """The three inputs, each read and validated once, and per seed the split of the posts
    and per fraction the training subset."""

    type_sentences: Loaded
    masked: Loaded
    posts: Loaded
    splits: dict[int, dict[str, datasets.Dataset]]
    train_subsets: dict[tuple[int, float], datasets.Dataset]


def prepare(cfg: StudyConfig) -> StudyData:
    """Check every input and make every split before anything is written (bad input -> error)."""
    from schemas.io import check_output_dir
    from train.data import axis_bits, check_both_classes, load_data, parse_labels
    from train.encoders import read_model_type
    from train.splits import split_posts, subsample

    check_output_dir(cfg.out, overwrite=cfg.args.overwrite)
    read_model_type(resolve_model(cfg.model), flag="--model")
    type_sentences = load_data(cfg.type_sentences, "type_sentences", required=("text", "label"))
    masked = load_data(cfg.masked, "masked", required=("text", "label", "candidates"))
    loaded = load_data(cfg.posts, "posts", required=("text", "label"))
    posts, name = loaded.dataset, loaded.name
    parse_labels(posts["label"], file=name)
    splits, subsets = {}, {}
    for seed in cfg.seed_list:
        split = split_posts(posts, dev=cfg.dev, test=cfg.test, seed=seed)
        for part in ("train", "test"):
            if len(split[part]) == 0:
                raise InputError(
                    f"too few posts (or authors) for a {part} split with --dev {cfg.dev} "
                    f"--test {cfg.test}",
                    file=name,
                )
        splits[seed] = split
        train = split["train"]
        for fraction in cfg.fraction_list:
            strata = [str(x) for x in train["label"]]
            subset = subsample(train, fraction, strata=strata, seed=seed)
            check_both_classes(
                axis_bits(parse_labels(subset["label"], file=name)),
                file=name,
                what=f"training posts of seed {seed} at fraction {fraction:g} "
                f"({len(subset)} posts)",
            )
            subsets[(seed, fraction)] = subset
    return StudyData(type_sentences, masked, loaded, splits, subsets)


def _authors(ds: datasets.Dataset) -> list[str | None]:
    return list(ds["author"]) if "author" in ds.column_names else [None] * len(ds)


def run_study(cfg: StudyConfig) -> tuple[Path, list[Run]]:
    """Run the whole study in ``.<out>.partial`` and publish it with its report; returns
    ``out`` and the runs."""
    from train.data import input_hashes
    from train.logs import configure
    from train.study import report

    configure(cfg.args)
    if cfg.task_options.task != "mbti":
        from train.study.task_study import run_task_study

        return run_task_study(cfg)
    data = prepare(cfg)
    manifest = Manifest("train all", seed=cfg.args.seed)
    manifest.add(
        inputs={
            **input_hashes(data.type_sentences),
            **input_hashes(data.masked),
            **input_hashes(data.posts),
        }
    )
    # under a launcher rank 0 alone stages, reports and publishes; the others train with it
    with main_process_writes(cfg.args) as main, contextlib.ExitStack() as stack:
        if main:
            stack.enter_context(
                publish(cfg.out, overwrite=cfg.args.overwrite, resume=cfg.args.resume)
            )
        barrier(cfg.args)  # the staging directory is there
        stage = staging_dir(cfg.out)
        runs = _run_all(cfg, data, stage)
        if main:
            report.write_report(runs, stage, describe(cfg, data, runs))
            write_json(stage / "manifest.json", manifest.finish(counts={"runs": len(runs)}))
    return cfg.out, runs


def command(cfg: StudyConfig) -> None:
    """Three-phase MLM fine-tuning vs plain fine-tuning vs TF-IDF vs majority, over seeds,
    with a report (--task single/multi/regression: plain fine-tuning vs the baselines, and
    single/multi with --type-sentences/--masked the three-phase recipe too).

    Works in .<out>.partial beside --out (--resume continues there) and renames it to --out
    when the report is written.
    """
    from train.study.report import print_comparison
    from train.study.task_report import print_task_comparison

    result_dir, runs = run_study(cfg)
    if cfg.task_options.task == "mbti":
        print_comparison(runs)
    else:
        print_task_comparison(runs, cfg.task_options.task)
    typer.echo(f"report: {result_dir / 'report.md'}")


def _run_all(cfg: StudyConfig, data: StudyData, stage: Path) -> list[Run]:
    fractions = sorted(cfg.fraction_list, reverse=True)
    runs: list[Run] = []
    total = cfg.seeds * (2 + 3 * len(fractions))
    with tqdm(
        total=total, desc="train all", unit="run", disable=not shows_progress(cfg.args)
    ) as bar:
        for seed in cfg.seed_list:
            seed_dir = stage / f"seed{seed}"
            phase1, phase2 = pretrain(cfg, data.type_sentences, data.masked, seed, stage, bar)
            runs += [phase1, phase2]
            split = data.splits[seed]
            for fraction in fractions:
                train = data.train_subsets[(seed, fraction)]
                base = seed_dir / f"fraction{fraction:g}"
                for arm, init in (
                    ("mlm", str(stage / str(phase2.model_dir))),
                    ("plain", cfg.model),
                ):
                    make = partial(_phase3, cfg, data, seed, fraction, arm, init, train, split)
                    runs.append(cached(stage, base / arm, bar, make, cfg.args))
                make = partial(_tfidf, cfg, seed, fraction, train, split)
                runs.append(cached(stage, base / "tfidf", bar, make, cfg.args))
    return runs


def _phase3(
    cfg: StudyConfig,
    data: StudyData,
    seed: int,
    fraction: float,
    arm: str,
    init: str | None,
    train: datasets.Dataset,
    split: dict[str, datasets.Dataset],
    out: Path,
) -> Run:
    from train.phases.phase3 import Phase3Config, run_phase3
    from train.tasks.options import TaskOptions

    res = run_phase3(
        Phase3Config(
            train=train,
            dev=split["dev"],
            test=split["test"],
            source=data.posts,
            init=init,
            out=out,
            silver_weight=cfg.silver_weight,
            task_options=TaskOptions(thresholds=cfg.thresholds),
            mask_types=cfg.mask_types,
            args=cfg.seed_args(seed),
        )
    )
    model_dir: str | None = str(res.model_dir)
    if fraction < 1:
        if is_main_process():
            shutil.rmtree(res.model_dir, ignore_errors=True)
        model_dir = None
    return Run(
        seed,
        fraction,
        arm,
        res.metrics,
        len(train),
        0.0,
        model_dir,
        res.log_history,
        _tolist(res.test_probs),
        _tolist(res.test_labels),
    )


def _tfidf(
    cfg: StudyConfig,
    seed: int,
    fraction: float,
    train: datasets.Dataset,
    split: dict[str, datasets.Dataset],
    out: Path,
) -> Run:
    """The baseline writes no model; ``out`` only names its record."""
    from train.tasks import MbtiTask
    from train.tasks.authors import author_metrics
    from train.tasks.baselines import tfidf_baseline
    from train.tasks.columns import TaskData

    task = MbtiTask(thresholds=cfg.thresholds, mask_types=cfg.mask_types)
    task = task.fit(train, file="<training posts>")
    res = tfidf_baseline(TaskData(task, train, split["dev"], split["test"], "<posts>"), seed=seed)
    train_bits = task.targets(train, file="<training posts>")
    test_bits = task.targets(split["test"], file="<test posts>")
    metrics = res.metrics
    if any(_authors(split["test"])):
        authors = _authors(split["test"])
        metrics["per_author"] = author_metrics(
            res.task, authors, test_bits, res.test_scores, train_bits
        )
    return Run(
        seed,
        fraction,
        "tfidf",
        metrics,
        len(train),
        0.0,
        None,
        [],
        _tolist(res.test_scores),
        _tolist(test_bits.astype(int)),
    )


def _tolist(array: Any) -> list | None:
    return None if array is None else array.tolist()


def describe(cfg: StudyConfig, data: StudyData, runs: Sequence[Run]) -> dict[str, Any]:
    """The report's setup section."""
    posts = data.posts.dataset
    first = data.splits[cfg.seed_list[0]]
    args = cfg.args
    return {
        "model": cfg.model or "bundled:all-MiniLM-L6-v2",
        "seeds": ", ".join(map(str, cfg.seed_list)),
        "fractions of training posts": ", ".join(f"{f:g}" for f in cfg.fraction_list),
        "posts": f"{cfg.posts} ({len(posts)} rows)",
        "split (first seed)": ", ".join(f"{k} {len(v)}" for k, v in first.items())
        + (" (by author)" if any(_authors(posts)) else " (by row: no author column)"),
        "type sentences / masked": f"{cfg.type_sentences} / {cfg.masked}",
        "training": args.describe(),
        "thresholds": cfg.thresholds,
        "type mentions masked": "yes" if cfg.mask_types else "no (--no-mask-types)",
        "minutes of training": f"{sum(r.seconds for r in runs) / 60:.1f}",
    }
