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

import json
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

import datasets
from tqdm.auto import tqdm

from schemas.errors import InputError
from schemas.io import check_output_dir, write_json
from schemas.manifest import Manifest
from schemas.models import resolve_model
from train.config import TrainArgs
from train.results import Run


@dataclass
class StudyConfig:
    """What ``train all`` runs; ``args.seed`` is the first seed, the others follow it."""

    type_sentences: Path
    masked: Path
    posts: Path
    out: Path
    model: str | None = None
    seeds: int = 3
    fractions: tuple[float, ...] = (1.0,)
    dev: float = 0.1
    test: float = 0.2
    thresholds: Literal["static", "dynamic"] = "static"
    silver_weight: float = 1.0
    mlm_mix: float = 0.0
    mask_types: bool = True
    args: TrainArgs = field(default_factory=TrainArgs)

    @property
    def seed_list(self) -> list[int]:
        return [self.args.seed + i for i in range(self.seeds)]


def parse_fractions(text: str) -> tuple[float, ...]:
    """``"0.05,0.25,1.0"`` -> sorted unique fractions, each in (0, 1]."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{part.strip()!r} is not a number", field="--fractions") from None
        if not 0 < value <= 1 or math.isnan(value):
            raise InputError(f"{value:g} is outside (0, 1]", field="--fractions")
        values.append(value)
    return tuple(sorted(set(values)))


def staging_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


@dataclass
class PreparedPosts:
    """The posts, and per seed the split and per fraction the training subset."""

    posts: datasets.Dataset
    splits: dict[int, dict[str, datasets.Dataset]]
    train_subsets: dict[tuple[int, float], datasets.Dataset]


def prepare(cfg: StudyConfig) -> PreparedPosts:
    """Check every input and make every split before anything is written (bad input -> error)."""
    from train.data import axis_bits, check_both_classes, load_data, parse_labels
    from train.encoders import read_model_type
    from train.splits import assign_splits, split_posts

    if cfg.seeds < 1:
        raise InputError("must be at least 1", field="--seeds")
    if not cfg.fractions:
        raise InputError("no fractions given", field="--fractions")
    check_output_dir(cfg.out, overwrite=cfg.args.overwrite)
    read_model_type(resolve_model(cfg.model), flag="--model")
    load_data(cfg.type_sentences, "type_sentences", required=("text", "label"))
    load_data(cfg.masked, "masked", required=("text", "label", "candidates"))
    posts, name, _ = load_data(cfg.posts, "posts", required=("text", "label"))
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
        for fraction in cfg.fractions:
            subset = train
            if fraction < 1:
                groups = [a or f"row:{i}" for i, a in enumerate(_authors(train))]
                keep = assign_splits(
                    [str(x).upper() for x in train["label"]],
                    groups,
                    dev=0.0,
                    test=1 - fraction,
                    seed=seed,
                )
                subset = train.select([i for i, s in enumerate(keep) if s == "train"])
            check_both_classes(
                axis_bits(parse_labels(subset["label"], file=name)),
                file=name,
                what=f"training posts of seed {seed} at fraction {fraction:g} "
                f"({len(subset)} posts)",
            )
            subsets[(seed, fraction)] = subset
    return PreparedPosts(posts, splits, subsets)


def _authors(ds: datasets.Dataset) -> list[str | None]:
    return list(ds["author"]) if "author" in ds.column_names else [None] * len(ds)


def run_study(cfg: StudyConfig) -> tuple[Path, list[Run]]:
    """Run the whole study and write the report; returns ``out`` and the runs."""
    from train import report

    prepared = prepare(cfg)
    stage = staging_dir(cfg.out)
    created = not stage.exists() or not cfg.args.resume
    if stage.exists() and not cfg.args.resume:
        shutil.rmtree(stage)
    stage.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(
        "train all", inputs=[cfg.type_sentences, cfg.masked, cfg.posts], seed=cfg.args.seed
    )
    try:
        runs = _run_all(cfg, prepared, stage)
        setup = describe(cfg, prepared, runs)
        report.write_report(runs, stage, setup)
        write_json(stage / "manifest.json", manifest.finish(counts={"runs": len(runs)}))
    except InputError:
        if created:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    _publish(stage, cfg.out)
    return cfg.out, runs


def _run_all(cfg: StudyConfig, prepared: PreparedPosts, stage: Path) -> list[Run]:
    fractions = sorted(cfg.fractions, reverse=True)
    runs: list[Run] = []
    with tqdm(total=cfg.seeds * (2 + 3 * len(fractions)), desc="train all", unit="run") as bar:
        for seed in cfg.seed_list:
            seed_dir = stage / f"seed{seed}"
            phase1 = _cached(stage, seed_dir / "phase1", bar, partial(_phase1, cfg, seed))
            phase2 = _cached(
                stage,
                seed_dir / "phase2",
                bar,
                partial(_phase2, cfg, seed, stage / str(phase1.model_dir)),
            )
            runs += [phase1, phase2]
            split = prepared.splits[seed]
            for fraction in fractions:
                train = prepared.train_subsets[(seed, fraction)]
                base = seed_dir / f"fraction{fraction:g}"
                for arm, init in (
                    ("mlm", str(stage / str(phase2.model_dir))),
                    ("plain", cfg.model),
                ):
                    make = partial(_phase3, cfg, seed, fraction, arm, init, train, split)
                    runs.append(_cached(stage, base / arm, bar, make))
                make = partial(_tfidf, cfg, seed, fraction, train, split)
                runs.append(_cached(stage, base / "tfidf", bar, make))
    return runs


def _cached(stage: Path, directory: Path, bar: tqdm, make: Callable[[Path], Run]) -> Run:
    """Reuse ``<directory>.run.json`` when present (``--resume``), else run and record it
    (with ``model_dir`` relative to the study directory, which is renamed at the end)."""
    record = directory.with_name(directory.name + ".run.json")
    if record.exists():
        run = Run.from_dict(json.loads(record.read_text(encoding="utf-8")))
    else:
        directory.parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        run = make(directory)
        run.seconds = round(time.time() - started, 2)
        if run.model_dir is not None:
            run.model_dir = str(Path(run.model_dir).relative_to(stage))
        write_json(record, run.to_dict(with_predictions=True))
    bar.set_postfix_str(f"seed {run.seed} {run.arm} {run.fraction:g}")
    bar.update()
    return run


def _args(cfg: StudyConfig, seed: int) -> TrainArgs:
    return replace(cfg.args, seed=seed, overwrite=True)


def _phase1(cfg: StudyConfig, seed: int, out: Path) -> Run:
    from train.config import Phase1Config
    from train.phase1 import run_phase1

    res = run_phase1(
        Phase1Config(
            cfg.type_sentences, out, cfg.model, mask_types=cfg.mask_types, args=_args(cfg, seed)
        )
    )
    return Run(
        seed,
        1.0,
        "phase1",
        res.metrics,
        res.metrics.get("n_train", 0),
        0.0,
        str(res.model_dir),
        res.log_history,
    )


def _phase2(cfg: StudyConfig, seed: int, init: Path, out: Path) -> Run:
    from train.config import Phase2Config
    from train.phase2 import run_phase2

    res = run_phase2(
        Phase2Config(cfg.masked, init, out, mlm_mix=cfg.mlm_mix, args=_args(cfg, seed))
    )
    return Run(
        seed,
        1.0,
        "phase2",
        res.metrics,
        res.metrics.get("n_train", 0),
        0.0,
        str(res.model_dir),
        res.log_history,
    )


def _phase3(
    cfg: StudyConfig,
    seed: int,
    fraction: float,
    arm: str,
    init: str | None,
    train: datasets.Dataset,
    split: dict[str, datasets.Dataset],
    out: Path,
) -> Run:
    from train.config import Phase3Config
    from train.phase3 import run_phase3

    res = run_phase3(
        Phase3Config(
            train=train,
            dev=split["dev"],
            test=split["test"],
            init=init,
            out=out,
            silver_weight=cfg.silver_weight,
            thresholds=cfg.thresholds,
            mask_types=cfg.mask_types,
            data_source=str(cfg.posts),
            args=_args(cfg, seed),
        )
    )
    model_dir: str | None = str(res.model_dir)
    if fraction < 1:
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
    from train.baselines import tfidf_logreg

    res = tfidf_logreg(
        train,
        split["dev"],
        split["test"],
        thresholds=cfg.thresholds,
        mask=cfg.mask_types,
        seed=seed,
    )
    return Run(
        seed,
        fraction,
        "tfidf",
        res.metrics,
        len(train),
        0.0,
        None,
        [],
        _tolist(res.test_probs),
        _tolist(res.test_labels),
    )


def _tolist(array: Any) -> list | None:
    return None if array is None else array.tolist()


def describe(cfg: StudyConfig, prepared: PreparedPosts, runs: Sequence[Run]) -> dict[str, Any]:
    """The report's setup section."""
    first = prepared.splits[cfg.seed_list[0]]
    args = cfg.args
    return {
        "model": cfg.model or "bundled:all-MiniLM-L6-v2",
        "seeds": ", ".join(map(str, cfg.seed_list)),
        "fractions of training posts": ", ".join(f"{f:g}" for f in cfg.fractions),
        "posts": f"{cfg.posts} ({len(prepared.posts)} rows)",
        "split (first seed)": ", ".join(f"{k} {len(v)}" for k, v in first.items())
        + (" (by author)" if any(_authors(prepared.posts)) else " (by row: no author column)"),
        "type sentences / masked": f"{cfg.type_sentences} / {cfg.masked}",
        "training": f"epochs {args.epochs:g}, max_steps {args.max_steps}, batch {args.batch_size}, "
        f"lr {args.lr:g}, max_length {args.max_length}, group_by_length {args.group_by_length}",
        "thresholds": cfg.thresholds,
        "type mentions masked": "yes" if cfg.mask_types else "no (--no-mask-types)",
        "minutes of training": f"{sum(r.seconds for r in runs) / 60:.1f}",
    }


def _publish(stage: Path, out: Path) -> None:
    """Rename the finished staging directory to ``out`` (replacing an old one last)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    stage.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
