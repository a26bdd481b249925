"""``datagen sentences``: articles -> the phase-1 ``type_sentences`` data set."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from datagen.type_sentences.clean import FilterConfig
from datagen.type_sentences.extract import extract_type_sentences
from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.io import check_output_dir, read_table, to_dataset, validate_rows, write_dataset
from schemas.manifest import Manifest
from schemas.options import group, option


@dataclass
class SentencesOptions(ConsoleOptions):
    articles: Path = option(
        argument=True,
        help="An articles data set (save_to_disk folder, .jsonl, .csv or .parquet).",
    )
    out: Path = option(help="Output directory for type_sentences.")
    lang: str = option("auto", help="auto (per article, by the share of Hangul letters), en or ko.")
    filters: FilterConfig = group(FilterConfig, panel="Filters")
    overwrite: bool = option(False, flag="--overwrite", help="Replace a non-empty --out.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lang not in ("auto", "en", "ko"):
            raise InputError(f"unknown value {self.lang!r} (use auto, en or ko)", field="--lang")


def run(opts: SentencesOptions) -> None:
    """Split labelled articles into clean, deduplicated, type-masked sentences."""
    check_output_dir(opts.out, overwrite=opts.overwrite)
    manifest = Manifest("datagen sentences", inputs=[opts.articles])
    ds = read_table(opts.articles, required=["id", "text"])
    validate_rows(ds, "articles", file=opts.articles)
    result = extract_type_sentences(
        ds, opts.filters, lang=opts.lang, total=len(ds), progress=opts.progress
    )
    if not result.rows:
        raise InputError(
            f"no sentences kept ({_summary(result.counts)}); articles need a label and text",
            file=opts.articles,
        )
    labels = Counter(r["label"] for r in result.rows)
    config = asdict(opts.filters)
    manifest.add(
        config=config,
        lang=opts.lang,
        languages=sorted(result.languages),
        per_label=dict(sorted(labels.items())),
    )
    write_dataset(
        to_dataset(result.rows, "type_sentences"),
        opts.out,
        manifest=manifest.finish({**result.counts, "labels": len(labels)}),
        overwrite=opts.overwrite,
    )
    opts.say(f"wrote {len(result.rows)} sentences ({_summary(result.counts)}) to {opts.out}")


def _summary(counts: Counter[str]) -> str:
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
    return (
        f"{counts['articles']} articles, {counts['skipped_unlabelled_articles']} unlabelled, "
        f"{counts['masked_mentions']} type mentions masked, {dropped} dropped"
    )
