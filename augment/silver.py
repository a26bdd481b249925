"""``augment silver``: balance labels with silver posts (classification mode), or STS scores
with silver pairs (``--pairs``, the same as ``augment pairs``)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import typer

from augment.balance import BalanceConfig, BalanceResult, balance
from augment.options import SilverBase
from augment.pairs import PairConfig, PairOptions
from schemas.errors import InputError
from schemas.io import Output, publish
from schemas.options import group, option


@dataclass(kw_only=True)
class SilverConfig(BalanceConfig):
    """``augment silver``'s options: classification mode, or pair mode with ``--pairs``."""

    pairs: bool = option(False, flag="--pairs", help="AugSBERT pair mode (STS gold pairs).")
    pair: PairOptions = group(PairOptions, panel="Pair mode")

    def pair_config(self) -> PairConfig:
        """The options of ``augment pairs`` that these hold."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(SilverBase)}
        return PairConfig(**shared, pair=self.pair)


def write_balanced(cfg: BalanceConfig, output: Output) -> BalanceResult:
    """Run :func:`~augment.balance.balance` and write the data set, report, figures and
    ``manifest.json`` into ``output``."""
    from augment.report import write_balance_report
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
            top_k=cfg.neighbours(),
            near_dup=cfg.near_dup,
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
            eval=None
            if result.downstream is None
            else {
                "test": str(cfg.eval_file),
                "student": cfg.eval_student,
                **({"max_steps": cfg.eval_max_steps} if cfg.eval_student == "train" else {}),
                **result.downstream.summary(),
            },
        ),
    )
    return result


def command(cfg: SilverConfig) -> None:
    """Add confident silver examples found by semantic search and labelled by a teacher."""
    from schemas.io import check_output_dir

    check_output_dir(cfg.out, overwrite=cfg.overwrite)
    if cfg.pairs:
        from augment.pairs import command as pairs_command

        pairs_command(cfg.pair_config())
        return
    if cfg.pool is None:
        raise InputError("--pool is required in classification mode (or pass --pairs)")
    with publish(cfg.out, overwrite=cfg.overwrite, push_to_hub=cfg.push_to_hub) as output:
        result = write_balanced(cfg, output)
    added = len(result.selection.labels)
    typer.echo(f"{sum(result.counts_before.values())} gold + {added} silver rows -> {cfg.out}")
    if result.downstream is not None:
        ev = result.downstream.summary()
        typer.echo(
            f"student macro-F1 gold {ev['mean_a']:.2f} -> gold+silver {ev['mean_b']:.2f} "
            f"(diff {ev['mean_diff']:+.2f}, 95% CI {ev['ci95'][0]:+.2f}..{ev['ci95'][1]:+.2f})"
        )
