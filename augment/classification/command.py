"""``augment silver`` in classification mode: run
:func:`~augment.classification.balance.balance` and write the ``posts`` data set,
``report.md``, the figures and ``manifest.json``."""

from __future__ import annotations

import math

import typer

from augment.classification.balance import BalanceResult, balance
from augment.classification.config import BalanceConfig
from augment.classification.downstream import student_description
from augment.common.paired import PairedResult
from schemas.io import Output, publish


def eval_summary(cfg: BalanceConfig, students: dict[str, PairedResult]) -> dict:
    """The manifest's ``eval``: the test file, ``--eval-student``, and per student its paired
    comparison (:meth:`PairedResult.summary`) and what it is; ``min_diff``: the smallest mean
    gain of any student (silver helps whichever student only if it is > 0);
    ``min_all_gold_diff``: the smallest gain of a student trained on all of gold."""
    return {
        "test": str(cfg.eval_file),
        "student": cfg.eval_student,
        **({"max_steps": cfg.eval_max_steps} if cfg.eval_student == "train" else {}),
        "students": {
            name: {"description": student_description(name), **paired.summary()}
            for name, paired in students.items()
        },
        "min_diff": min(float(p.diff.mean()) for p in students.values()),
        "min_all_gold_diff": min(
            (p.all_gold_diff for p in students.values() if p.all_gold_diff is not None),
            default=None,
        ),
    }


def write_balanced(cfg: BalanceConfig, output: Output) -> BalanceResult:
    """Run :func:`~augment.classification.balance.balance` and write the data set, report,
    figures and ``manifest.json`` into ``output``."""
    from augment.classification.report import write_balance_report
    from schemas.manifest import Manifest

    manifest = Manifest(
        "augment silver",
        inputs=[p for p in (cfg.gold, cfg.pool, cfg.eval_file) if p],
        seed=cfg.seed,
    )
    result = balance(cfg)
    output.dataset(result.dataset)
    write_balance_report(result, output.dir, cfg)
    est = result.precision
    per_class = {
        lab: {
            "need": r.need,
            "silver": r.taken,
            "cutoff": None if r.cutoff == float("inf") else r.cutoff,
            "why_short": r.why_short(),
        }
        for lab, r in result.selection.per_class.items()
        if r.need
    }
    for lab, cut in result.class_estimates().items():
        per_class[lab].update(estimated_precision=cut.precision, estimated_yield=cut.yield_)
    output.json(
        "manifest.json",
        manifest.finish(
            counts={
                "gold": sum(result.counts_before.values()),
                "silver": len(result.selection.labels),
                "before": result.counts_before,
                "after": result.counts_after,
                "targets": result.targets,
                "requested_targets": result.requested,
            },
            max_growth=None if math.isinf(result.max_growth) else result.max_growth,
            stage_seconds=result.seconds,
            mode="classification",
            threshold=cfg.threshold,
            min_precision=cfg.min_precision,
            equal_quota=cfg.equal_quota,
            teacher=result.teacher_name,
            embedder=result.embedder_name,
            encode_precision=result.encode_precision,
            top_k=cfg.neighbours(),
            near_dup=cfg.near_duplicate,
            pooled_authors=result.pooled_authors,
            masked={k: vars(v) for k, v in result.masked.items()},
            per_class=per_class,
            estimated_precision=None
            if est is None
            else {
                "folds": est.folds,
                "precision": est.at_threshold.precision,
                "selected": est.at_threshold.selected,
                "yield": est.at_threshold.yield_,
            },
            eval=None if result.downstream is None else eval_summary(cfg, result.downstream),
        ),
    )
    return result


def command(cfg: BalanceConfig) -> None:
    """Add confident silver rows to gold and say what was added (and, with ``--eval``, what
    the student gained)."""
    with publish(cfg.out, overwrite=cfg.overwrite, push_to_hub=cfg.push_to_hub) as output:
        result = write_balanced(cfg, output)
    added = len(result.selection.labels)
    cfg.say(f"{sum(result.counts_before.values())} gold + {added} silver rows -> {cfg.out}")
    if result.downstream is not None:
        width = max(map(len, result.downstream))
        for name, paired in result.downstream.items():
            ev = paired.summary()
            typer.echo(
                f"student {name:<{width}} macro-F1 gold {ev['mean_a']:.2f} -> gold+silver "
                f"{ev['mean_b']:.2f} (diff {ev['mean_diff']:+.2f}, 95% CI "
                f"{ev['ci95'][0]:+.2f}..{ev['ci95'][1]:+.2f})"
            )
