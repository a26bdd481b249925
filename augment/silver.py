"""``augment silver``: balance labels (or STS scores with ``--pairs``) with silver data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schemas.errors import InputError
from schemas.hub import PUSH_HELP

Opt = typer.Option


def command(
    gold: Annotated[Path, typer.Argument(help="Gold: labelled posts, or STS pairs with --pairs.")],
    out: Annotated[Path, Opt("--out", help="Output directory (data set + report).")],
    pool: Annotated[
        Path | None, Opt(help="Unlabelled texts to draw silver from (classification mode).")
    ] = None,
    pairs: Annotated[bool, Opt("--pairs", help="AugSBERT pair mode (STS gold pairs).")] = False,
    text_col: Annotated[str, Opt(help="Gold text column.")] = "text",
    label_col: Annotated[str, Opt(help="Gold label column.")] = "label",
    pool_text_col: Annotated[str, Opt(help="Pool text column.")] = "text",
    label_set: Annotated[str, Opt(help="'mbti' or 'any' (whatever labels gold has).")] = "mbti",
    target: Annotated[str, Opt(help="'max' (largest class), or a per-class count N.")] = "max",
    target_dist: Annotated[
        Path | None, Opt(help="JSON {label: weight}: the wanted distribution.")
    ] = None,
    embedder: Annotated[
        str | None, Opt(help="Bi-encoder name/path (default: bundled all-MiniLM-L6-v2).")
    ] = None,
    teacher: Annotated[
        str, Opt(help="'logreg', 'knn', or a fine-tuned sequence-classifier directory.")
    ] = "logreg",
    threshold: Annotated[
        float, Opt(help="Keep a candidate only if the teacher's top probability >= this.")
    ] = 0.5,
    top_k: Annotated[int, Opt(help="Neighbours per query.")] = 10,
    near_dup: Annotated[float, Opt(help="Cosine at/above which texts are near-duplicates.")] = 0.95,
    folds: Annotated[int, Opt(help="Folds of the held-out precision estimate (0: skip).")] = 5,
    index: Annotated[str, Opt(help="'exact' or 'faiss' (needs mbtikit[faiss]).")] = "exact",
    mask: Annotated[bool, Opt(help="Mask MBTI type mentions in gold and pool texts.")] = True,
    scale: Annotated[str, Opt(help="Pair mode: score scale 'LOW,HIGH'.")] = "0,5",
    balance: Annotated[str, Opt(help="Pair mode: 'uniform' or 'gold' histogram.")] = "uniform",
    bins: Annotated[int, Opt(help="Pair mode: score bins for balancing.")] = 5,
    n_silver: Annotated[
        int | None, Opt(help="Pair mode: silver pairs to add (default: as many as gold).")
    ] = None,
    epochs: Annotated[int, Opt(help="Pair mode: cross-encoder / --eval bi-encoder epochs.")] = 1,
    eval_file: Annotated[
        Path | None, Opt("--eval", help="Pair mode: test pairs; compare gold vs gold+silver.")
    ] = None,
    batch_size: Annotated[int, Opt(help="Encoding batch size.")] = 128,
    seed: Annotated[int, Opt(help="Random seed.")] = 0,
    overwrite: Annotated[bool, Opt(help="Replace a non-empty --out.")] = False,
    push_to_hub: Annotated[str | None, Opt("--push-to-hub", help=PUSH_HELP)] = None,
) -> None:
    """Add confident silver examples found by semantic search and labelled by a teacher."""
    from schemas.io import check_output_dir, publish

    if not 0.0 < threshold <= 1.0:
        raise InputError(f"--threshold must be in (0, 1], got {threshold:g}")
    if top_k < 1:
        raise InputError(f"--top-k must be >= 1, got {top_k}")
    if label_set not in ("mbti", "any"):
        raise InputError(f"--label-set must be 'mbti' or 'any', got {label_set!r}")
    check_output_dir(out, overwrite=overwrite)
    if pairs:
        from augment.pairs import PairConfig, run_pairs

        cfg = PairConfig(
            gold=gold, scale=scale, balance=balance, bins=bins, n_silver=n_silver,
            embedder=embedder, top_k=top_k, epochs=epochs, eval_file=eval_file,
            batch_size=batch_size, seed=seed,
        )  # fmt: skip
        with publish(out, overwrite=overwrite, push_to_hub=push_to_hub) as output:
            summary = run_pairs(cfg, output.dir)
        typer.echo(f"{summary['gold']} gold + {summary['silver']} silver pairs -> {out}")
        return
    if pool is None:
        raise InputError("--pool is required in classification mode (or pass --pairs)")
    from augment.balance import BalanceConfig, balance_to_dir

    cfg = BalanceConfig(
        gold=gold, pool=pool, text_col=text_col, label_col=label_col,
        pool_text_col=pool_text_col, label_set=label_set, target=target,
        target_dist=target_dist, embedder=embedder, teacher=teacher, threshold=threshold,
        top_k=top_k, near_dup=near_dup, folds=folds, index=index, mask=mask,
        batch_size=batch_size, seed=seed,
    )  # fmt: skip
    with publish(out, overwrite=overwrite, push_to_hub=push_to_hub) as output:
        result = balance_to_dir(cfg, output.dir)
    added = len(result.selection.labels)
    typer.echo(f"{sum(result.counts_before.values())} gold + {added} silver rows -> {out}")
