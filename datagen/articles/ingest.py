"""``datagen ingest``: local article files or folders -> the ``articles`` data set."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from datagen.articles.readers import ReadOptions, read_articles
from datagen.articles.records import drop_duplicate_articles, utc_now_iso
from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.io import check_output_dir, to_dataset, write_dataset
from schemas.manifest import Manifest
from schemas.options import group, option


@dataclass
class IngestOptions(ConsoleOptions):
    paths: list[Path] = option(
        argument=True,
        help="Files or folders: .html/.htm, .md, .txt (one article each); .jsonl, .csv, .tsv, "
        ".parquet, .json or a save_to_disk folder (one article per row).",
    )
    out: Path = option(help="Output directory for the articles data set.")
    read: ReadOptions = group(ReadOptions, panel="Columns")
    overwrite: bool = option(False, flag="--overwrite", help="Replace a non-empty --out.")


def run(opts: IngestOptions) -> None:
    """Ingest local articles (HTML reduced to its main text) into an articles data set."""
    check_output_dir(opts.out, overwrite=opts.overwrite)
    manifest = Manifest("datagen ingest", inputs=opts.paths)
    result = read_articles(opts.paths, opts.read, fetched_at=utc_now_iso(), progress=opts.progress)
    rows, n_duplicates = drop_duplicate_articles(result.rows)
    if result.unlabelled:
        names = ", ".join(str(f) for f in result.unlabelled[:3])
        more = f" and {len(result.unlabelled) - 3} more" if len(result.unlabelled) > 3 else ""
        opts.say(
            f"note: skipped {len(result.unlabelled)} file(s) with no MBTI type in their path "
            f"(--label-from path): {names}{more}"
        )
    if not rows:
        raise InputError("no article with text found", file=", ".join(map(str, opts.paths)))
    labels = Counter(r["label"] for r in rows if r["label"])
    counts = {
        "articles": len(rows),
        "labelled": sum(labels.values()),
        "unlabelled": len(rows) - sum(labels.values()),
        "labels": len(labels),
        "dropped_duplicate_articles": n_duplicates,
        **dict(result.counts),
    }
    manifest.add(label_from=opts.read.label_from, per_label=dict(sorted(labels.items())))
    write_dataset(
        to_dataset(rows, "articles"),
        opts.out,
        manifest=manifest.finish(counts),
        overwrite=opts.overwrite,
    )
    opts.say(
        f"wrote {len(rows)} articles ({counts['labelled']} labelled, {len(labels)} labels) "
        f"to {opts.out}"
    )
    if not labels:
        opts.say(
            "note: no article has a label; datagen sentences needs labels (try --label-from "
            "path for per-type folders, or --label-col)"
        )
