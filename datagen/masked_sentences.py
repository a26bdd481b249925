"""``datagen masked-sentences``: a masked version of each base sentence, every type's fills."""

from __future__ import annotations

from pathlib import Path

import typer

from datagen.llm.config import LLMConfig
from datagen.llm.options import llm_options


@llm_options
def command(
    base: Path = typer.Argument(
        ...,
        help="Base sentences: a data set from `datagen base-sentences`, a table with a text "
        "column (.jsonl/.csv/.parquet/...) or a .txt file with one sentence a line.",
    ),
    out: Path = typer.Option(..., "--out", help="Output directory (the `masked` data set)."),
    backend: str = typer.Option(
        "auto",
        "--backend",
        help="auto (an LLM when a key or --base-url is given, else offline), "
        "openai (any OpenAI-compatible endpoint) or offline (heuristic, not an LLM).",
    ),
    articles: Path | None = typer.Option(
        None,
        "--articles",
        help="Type articles or type sentences (from `datagen ingest` / "
        "`datagen sentences`): required by the offline backend; with an LLM they only feed "
        "the own-vocabulary check in the manifest.",
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of the fills: en or ko (default: the base set's `lang`)."
    ),
    per_type: bool = typer.Option(
        False,
        "--per-type",
        help="One request per (sentence, type) after one per sentence for "
        "the slot; candidate probabilities from logprobs where the server returns them.",
    ),
    logprobs: bool = typer.Option(
        True, "--logprobs/--no-logprobs", help="With --per-type: ask for token logprobs."
    ),
    k: int = typer.Option(5, "--k", help="Candidate fills per type (at most)."),
    text_col: str = typer.Option("text", "--text-col", help="Text column of the base table."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    *,
    llm: LLMConfig,
) -> None:
    """Mask one word or phrase of each base sentence and give each of the 16 types its fills."""
    from datagen.masked_generation import MaskedJob, generate_masked

    job = MaskedJob(
        base=base, out=out, backend=backend, articles=articles, lang=lang, per_type=per_type,
        logprobs=logprobs, k=k, text_col=text_col, overwrite=overwrite, progress=progress,
    )  # fmt: skip
    code = generate_masked(job, llm)
    if code:
        raise typer.Exit(code)
