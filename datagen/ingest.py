"""``datagen ingest``: local article files or folders -> the ``articles`` data set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from datagen.article_readers import ReadOptions, read_articles
from datagen.articles import drop_duplicate_articles, utc_now_iso
from schemas.errors import InputError
from schemas.io import check_output_dir, to_dataset, write_dataset
from schemas.manifest import Manifest


def command(
    paths: list[Path] = typer.Argument(
        ...,
        help="Files or folders: .html/.htm, .md, .txt (one article each); .jsonl, .csv, .tsv, "
        ".parquet, .json or a save_to_disk folder (one article per row).",
        show_default=False,
    ),
    out: Path = typer.Option(..., "--out", help="Output directory for the articles data set."),
    label_from: str = typer.Option(
        "field",
        "--label-from",
        help="field: a table column / Markdown front-matter key (--label-col); path: a type "
        "name in the file or folder name (articles/INFJ/x.md -> INFJ); none: null labels.",
    ),
    label_col: str = typer.Option("label", "--label-col", help="Column holding the type."),
    text_col: str = typer.Option("text", "--text-col", help="Column holding the article text."),
    title_col: str = typer.Option("title", "--title-col", help="Column holding the title."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty --out."),
) -> None:
    """Ingest local articles (HTML reduced to its main text) into an articles data set."""
    if label_from not in ("field", "path", "none"):
        raise InputError(
            f"unknown value {label_from!r} (use field, path or none)", field="--label-from"
        )
    check_output_dir(out, overwrite=overwrite)
    manifest = Manifest("datagen ingest", inputs=paths)
    options = ReadOptions(
        label_from=label_from, label_col=label_col, text_col=text_col, title_col=title_col
    )
    result = read_articles(paths, options, fetched_at=utc_now_iso())
    rows, n_duplicates = drop_duplicate_articles(result.rows)
    if not rows:
        raise InputError("no article with text found", file=", ".join(map(str, paths)))
    labels = Counter(r["label"] for r in rows if r["label"])
    counts = {
        "articles": len(rows),
        "labelled": sum(labels.values()),
        "unlabelled": len(rows) - sum(labels.values()),
        "labels": len(labels),
        "dropped_duplicate_articles": n_duplicates,
        **dict(result.counts),
    }
    manifest.add(label_from=label_from, per_label=dict(sorted(labels.items())))
    write_dataset(
        to_dataset(rows, "articles"),
        out,
        manifest=manifest.finish(counts),
        overwrite=overwrite,
    )
    typer.echo(
        f"wrote {len(rows)} articles ({counts['labelled']} labelled, {len(labels)} labels) to {out}"
    )
    if not labels:
        typer.echo(
            "note: no article has a label; datagen sentences needs labels (try --label-from "
            "path for per-type folders, or --label-col)",
            err=True,
        )
