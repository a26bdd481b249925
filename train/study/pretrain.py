"""Phases 1 and 2 of one seed in a ``train all`` study (the MBTI study's, and the three-phase
arm of ``--task single|multi``), each recorded like every run (``--resume``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

from train.engine.data import Loaded
from train.engine.result import PhaseResult
from train.study.config import StudyConfig
from train.study.records import cached
from train.study.results import Run


def pretrain(
    cfg: StudyConfig,
    type_sentences: Loaded,
    masked: Loaded,
    seed: int,
    stage: Path,
    bar: tqdm,
    *,
    label_set: Sequence[str] | None = None,
) -> tuple[Run, Run]:
    """Phase 1 then phase 2 of one seed (``seed<N>/phase1``, ``seed<N>/phase2`` in
    ``stage``); ``label_set``: the task's (``--task single|multi``)."""
    seed_dir = stage / f"seed{seed}"
    make1 = partial(_phase1, cfg, type_sentences, seed, label_set=label_set)
    phase1 = cached(stage, seed_dir / "phase1", bar, make1, cfg.args)
    make2 = partial(_phase2, cfg, masked, seed, stage / str(phase1.model_dir))
    return phase1, cached(stage, seed_dir / "phase2", bar, make2, cfg.args)


def _phase1(
    cfg: StudyConfig,
    data: Loaded,
    seed: int,
    out: Path,
    *,
    label_set: Sequence[str] | None = None,
) -> Run:
    from train.phases.phase1 import Phase1Config, run_phase1

    res = run_phase1(
        Phase1Config(
            dataset=data,
            out=out,
            model=cfg.model,
            mask_types=cfg.mask_types,
            label_set=tuple(label_set) if label_set is not None else None,
            task_options=cfg.task_options,
            args=cfg.seed_args(seed),
        )
    )
    return _phase_run(seed, "phase1", res)


def _phase2(cfg: StudyConfig, data: Loaded, seed: int, init: Path, out: Path) -> Run:
    from train.phases.phase2 import Phase2Config, run_phase2

    res = run_phase2(
        Phase2Config(
            dataset=data,
            init=str(init),
            out=out,
            mlm_mix=cfg.mlm_mix,
            task_options=cfg.task_options,
            args=cfg.seed_args(seed),
        )
    )
    return _phase_run(seed, "phase2", res)


def _phase_run(seed: int, arm: str, res: PhaseResult) -> Run:
    """The run record of a pretraining phase (all the data, no timing)."""
    return Run(
        seed,
        1.0,
        arm,
        res.metrics,
        res.metrics.get("n_train", 0),
        0.0,
        str(res.model_dir),
        res.log_history,
    )
