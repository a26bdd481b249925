"""``datagen base-sentences``: everyday utterances for the masked data set.

From the user's file (``--from``), an LLM (batches of sentences, filtered, until N remain) or,
offline, the template grammar of :mod:`datagen.offline.sentence_grammar`. Every source goes
through the same filters (:mod:`datagen.base_filter`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from datagen.base_filter import FilterSettings, SentenceFilter
from datagen.base_input import base_id, read_base_sentences
from datagen.generated_output import dataset_of, write_generated
from datagen.generation_backend import resolve_backend
from datagen.languages import parse_lang
from datagen.llm import LLMConfig, estimate, run_task
from datagen.masking_tasks import BACKEND, BaseSentencesTask
from schemas.errors import InputError
from schemas.io import check_output_dir
from schemas.manifest import Manifest

DEFAULT_N = 900
OVERSHOOT = 1.25


@dataclass
class BaseJob:
    """The command's own options (the LLM ones are in :class:`LLMConfig`)."""

    out: Path
    n: int | None = None
    lang: str = "en"
    source: Path | None = None
    text_col: str = "text"
    backend: str = "auto"
    batch_size: int = 25
    max_rounds: int = 5
    settings: FilterSettings = FilterSettings()
    seed: int = 0
    overwrite: bool = False
    progress: bool = True


def generate_base(job: BaseJob, config: LLMConfig) -> int:
    """Run the job; returns the exit code."""
    if not config.dry_run:
        check_output_dir(job.out, overwrite=job.overwrite)
    lang = parse_lang(job.lang)
    _check_numbers(job)
    manifest = Manifest("datagen base-sentences", inputs=_given(job.source), seed=job.seed)
    sentences = SentenceFilter(lang, job.settings)
    failures: list[dict] = []
    if job.source is not None:
        rows = _from_file(job, sentences)
        info: dict = {"source": "file"}
    else:
        backend = resolve_backend(job.backend, config, offline_what="template grammar")
        n = job.n or DEFAULT_N
        if backend == "offline":
            if config.dry_run:
                print("dry run: the offline grammar sends no requests", file=sys.stderr)
                return 0
            texts = _from_grammar(lang, n, job.seed, sentences)
            info = {"source": "offline-grammar", "backend": "offline-grammar"}
        else:
            outcome = _from_llm(job, lang, n, sentences, config)
            if outcome is None:
                return 0
            texts, failures, info = outcome
        rows = [{"id": base_id(i), "text": t} for i, t in enumerate(texts, start=1)]
    if not rows:
        raise InputError(
            f"no sentence passed the filters ({_removed(sentences)}); check --lang, "
            "--min-words/--max-words and --near-duplicate",
            file=job.source,
        )
    rows = [{**r, "lang": lang} for r in rows]
    wanted = job.n or (DEFAULT_N if job.source is None else len(rows))
    if len(rows) < wanted:
        print(
            f"warning: only {len(rows)} of {wanted} sentences passed the filters", file=sys.stderr
        )
    manifest.add(lang=lang, filters={**job.settings.__dict__, **sentences.report()}, **info)
    write_generated(
        dataset_of(rows, "base_sentences"),
        failures,
        job.out,
        manifest=manifest.finish(counts={"rows": len(rows), "failures": len(failures)}),
        overwrite=job.overwrite,
    )
    print(f"wrote {len(rows):,} base sentences to {job.out}", file=sys.stderr)
    return 0


def _check_numbers(job: BaseJob) -> None:
    for name, value in (("--n", job.n), ("--batch-size", job.batch_size)):
        if value is not None and value < 1:
            raise InputError(f"must be at least 1, got {value}", field=name)
    s = job.settings
    if not 1 <= s.min_words <= s.max_words:
        raise InputError(
            f"need 1 <= --min-words <= --max-words, got {s.min_words} and {s.max_words}",
            field="--min-words",
        )
    if not 0 < s.near_duplicate <= 1:
        raise InputError(f"must be in (0, 1], got {s.near_duplicate}", field="--near-duplicate")


def _given(path: Path | None) -> list[Path]:
    return [path] if path is not None else []


def _removed(sentences: SentenceFilter) -> str:
    removed = ", ".join(f"{k}: {v}" for k, v in sorted(sentences.removed.items()))
    return f"removed {removed}" if removed else "none given"


def _from_file(job: BaseJob, sentences: SentenceFilter) -> list[dict]:
    rows = read_base_sentences(job.source, text_col=job.text_col)
    kept = [rows[i] for i in sentences.add([r["text"] for r in rows])]
    return [{"id": r["id"], "text": r["text"]} for r in kept[: job.n]]


def _from_grammar(lang: str, n: int, seed: int, sentences: SentenceFilter) -> list[str]:
    from datagen.offline.sentence_grammar import grammar_sentences

    pool = list(grammar_sentences(lang, seed))
    kept: list[str] = []
    start = 0
    while len(kept) < n and start < len(pool):
        chunk = pool[start : start + math.ceil((n - len(kept)) * OVERSHOOT)]
        start += len(chunk)
        kept.extend(chunk[i] for i in sentences.add(chunk))
    return kept[:n]


def _from_llm(job: BaseJob, lang: str, n: int, sentences: SentenceFilter, config: LLMConfig):
    task = BaseSentencesTask(
        lang, min_words=job.settings.min_words, max_words=job.settings.max_words
    )
    kept: list[str] = []
    failures: list[dict] = []
    usage: list[dict] = []
    next_batch = 0
    for _ in range(job.max_rounds):
        batches = math.ceil((n - len(kept)) * OVERSHOOT / job.batch_size)
        rows = [
            {"id": f"batch-{b:05d}", "batch": b, "n": job.batch_size}
            for b in range(next_batch, next_batch + batches)
        ]
        next_batch += batches
        if config.dry_run:
            print(estimate(task, rows, config).summary())
            return None
        result = run_task(task, rows, config, progress=job.progress)
        print(result.usage.summary(), file=sys.stderr)
        failures += [{**f, "stage": task.name} for f in result.failures]
        usage.append(result.usage.to_dict())
        texts = [r["text"] for r in result.records]
        new = sentences.add(texts)
        kept.extend(texts[i] for i in new)
        if len(kept) >= n or not new:
            break
    info = {
        "source": "llm",
        "backend": BACKEND,
        "model": config.model,
        "prompt_sha": task.prompt_sha,
        "requests_batches": next_batch,
        "usage": usage,
    }
    return kept[:n], failures, info
