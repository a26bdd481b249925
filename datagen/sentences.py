"""``datagen sentences``: articles -> the phase-1 ``type_sentences`` data set."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path

import typer

from datagen.sentence_filter import FilterConfig
from datagen.type_sentences import extract_type_sentences
from schemas.errors import InputError
from schemas.io import check_output_dir, read_table, to_dataset, validate_rows, write_dataset
from schemas.manifest import Manifest


def command(
    articles: Path = typer.Argument(
        ...,
        help="An articles data set (save_to_disk folder, .jsonl, .csv or .parquet).",
        show_default=False,
    ),
    out: Path = typer.Option(..., "--out", help="Output directory for type_sentences."),
    lang: str = typer.Option(
        "auto", "--lang", help="auto (per article, by the share of Hangul letters), en or ko."
    ),
    min_words: int = typer.Option(4, "--min-words", help="English: fewest words kept."),
    max_words: int = typer.Option(60, "--max-words", help="English: most words kept."),
    min_chars: int = typer.Option(
        10, "--min-chars", help="Korean: fewest characters (without spaces) kept."
    ),
    max_chars: int = typer.Option(
        200, "--max-chars", help="Korean: most characters (without spaces) kept."
    ),
    near_dup: float = typer.Option(
        0.85,
        "--near-dup",
        help="Drop a sentence whose character-5-gram Jaccard similarity with an earlier one "
        "is at least this (1.0: exact duplicates only).",
    ),
    no_mask_types: bool = typer.Option(
        False, "--no-mask-types", help="Keep type mentions (INFJ, Fi, 인프피) instead of [TYPE]."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty --out."),
) -> None:
    """Split labelled articles into clean, deduplicated, type-masked sentences."""
    if lang not in ("auto", "en", "ko"):
        raise InputError(f"unknown value {lang!r} (use auto, en or ko)", field="--lang")
    config = FilterConfig(
        min_words=min_words,
        max_words=max_words,
        min_chars=min_chars,
        max_chars=max_chars,
        near_dup=near_dup,
        mask_types=not no_mask_types,
    )
    config.validate()
    check_output_dir(out, overwrite=overwrite)
    manifest = Manifest("datagen sentences", inputs=[articles])
    ds = read_table(articles, required=["id", "text"])
    validate_rows(ds, "articles", file=articles)
    result = extract_type_sentences(ds, config, lang=lang, total=len(ds))
    if not result.rows:
        raise InputError(
            f"no sentences kept ({_summary(result.counts)}); articles need a label and text",
            file=articles,
        )
    labels = Counter(r["label"] for r in result.rows)
    manifest.add(config=asdict(config), lang=lang, per_label=dict(sorted(labels.items())))
    write_dataset(
        to_dataset(result.rows, "type_sentences"),
        out,
        manifest=manifest.finish({**result.counts, "labels": len(labels)}),
        overwrite=overwrite,
    )
    typer.echo(f"wrote {len(result.rows)} sentences ({_summary(result.counts)}) to {out}")


def _summary(counts: Counter[str]) -> str:
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
    return (
        f"{counts['articles']} articles, {counts['skipped_unlabelled_articles']} unlabelled, "
        f"{counts['masked_mentions']} type mentions masked, {dropped} dropped"
    )
