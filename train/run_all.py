"""``train all``: phase 1 -> 2 -> 3 and the baselines over seeds, with the comparison report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from train.config import TrainArgs
from train.options import with_train_options


@with_train_options
def command(
    type_sentences: Annotated[
        Path, typer.Option("--type-sentences", help="Phase-1 data (type sentences).")
    ],
    masked: Annotated[Path, typer.Option("--masked", help="Phase-2 data (masked sentences).")],
    posts: Annotated[Path, typer.Option("--posts", help="Phase-3 data (labelled posts).")],
    out: Annotated[Path, typer.Option("--out", help="Study directory (report, models).")],
    model: Annotated[
        str, typer.Option("--model", help="Encoder name or path (default: bundled MiniLM).")
    ] = "bundled:all-MiniLM-L6-v2",
    seeds: Annotated[
        int, typer.Option("--seeds", help="Seeds (--seed, --seed+1, ...), paired across arms.")
    ] = 3,
    fractions: Annotated[
        str,
        typer.Option(
            "--fractions", help="Fractions of the training posts, e.g. 0.05,0.25,1.0 (in (0,1])."
        ),
    ] = "1.0",
    dev: Annotated[float, typer.Option("--dev", help="Share of posts (by author) for dev.")] = 0.1,
    test: Annotated[
        float, typer.Option("--test", help="Share of posts (by author) for test.")
    ] = 0.2,
    thresholds: Annotated[
        str, typer.Option("--thresholds", help="static (0.5) or dynamic (tuned on dev per axis).")
    ] = "static",
    silver_weight: Annotated[
        float, typer.Option("--silver-weight", help="Loss weight of silver posts.")
    ] = 1.0,
    mlm_mix: Annotated[
        float, typer.Option("--mlm-mix", help="Phase 2: weight of random-masking MLM.")
    ] = 0.0,
    mask_types: Annotated[
        bool, typer.Option("--mask-types/--no-mask-types", help="Mask type mentions first.")
    ] = True,
    *,
    args: TrainArgs,
) -> None:
    """Three-phase MLM fine-tuning vs plain fine-tuning vs TF-IDF, over seeds, with a report.

    Works in .<out>.partial beside --out (--resume continues there) and renames it to --out
    when the report is written.
    """
    from schemas.errors import InputError
    from train.experiment import StudyConfig, parse_fractions, run_study
    from train.report import print_comparison

    if thresholds not in ("static", "dynamic"):
        raise InputError(f"{thresholds!r} is not static or dynamic", field="--thresholds")
    cfg = StudyConfig(
        type_sentences=type_sentences,
        masked=masked,
        posts=posts,
        out=out.resolve(),
        model=model,
        seeds=seeds,
        fractions=parse_fractions(fractions),
        dev=dev,
        test=test,
        thresholds=thresholds,  # type: ignore[arg-type]
        silver_weight=silver_weight,
        mlm_mix=mlm_mix,
        mask_types=mask_types,
        args=args,
    )
    result_dir, runs = run_study(cfg)
    print_comparison(runs)
    typer.echo(f"report: {result_dir / 'report.md'}")
