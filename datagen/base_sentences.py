"""``datagen base-sentences``: everyday utterances, from an LLM, offline, or your own file."""

from __future__ import annotations

from pathlib import Path

import typer

from datagen.llm.config import LLMConfig
from datagen.llm.options import llm_options


@llm_options
def command(
    out: Path = typer.Option(..., "--out", help="Output directory (a `base_sentences` data set)."),
    n: int | None = typer.Option(
        None, "--n", help="Sentences wanted (default 900; with --from: every one that passes)."
    ),
    lang: str = typer.Option("en", "--lang", help="Language of the sentences: en or ko."),
    source: Path | None = typer.Option(
        None,
        "--from",
        help="Use your own sentences: .txt (one a line) or a table with a text "
        "column; they are filtered like generated ones.",
    ),
    text_col: str = typer.Option("text", "--text-col", help="Text column of the --from table."),
    backend: str = typer.Option(
        "auto",
        "--backend",
        help="auto (an LLM when a key or --base-url is given, else the "
        "offline template grammar), openai, or offline.",
    ),
    batch_size: int = typer.Option(25, "--batch-size", help="Sentences asked for per request."),
    min_words: int = typer.Option(4, "--min-words", help="Shortest sentence kept, in words."),
    max_words: int = typer.Option(40, "--max-words", help="Longest sentence kept, in words."),
    near_duplicate: float = typer.Option(
        0.95, "--near-duplicate", help="Cosine (MiniLM) at which a sentence counts as a repeat."
    ),
    seed: int = typer.Option(0, "--seed", help="Order of the offline grammar's sentences."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    *,
    llm: LLMConfig,
) -> None:
    """Write N everyday sentences (filtered: length, language, duplicates, near duplicates)."""
    from datagen.base_filter import FilterSettings
    from datagen.base_generation import BaseJob, generate_base

    job = BaseJob(
        out=out, n=n, lang=lang, source=source, text_col=text_col, backend=backend,
        batch_size=batch_size, seed=seed, overwrite=overwrite, progress=progress,
        settings=FilterSettings(min_words, max_words, near_duplicate),
    )  # fmt: skip
    code = generate_base(job, llm)
    if code:
        raise typer.Exit(code)
