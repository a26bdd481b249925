"""``datagen masked-sentences``: base sentences -> the ``masked`` (phase-2) data set.

One row per (sentence, type), in base order then type order. The LLM path asks one request per
sentence for all 16 types, or with ``--per-type`` first the slot of each sentence and then one
request per (sentence, type); the offline path is :mod:`datagen.offline`. Failures go to
``failures.jsonl``, never into the data.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from datagen.base_input import read_base_sentences
from datagen.generated_output import dataset_of, write_generated
from datagen.generation_backend import resolve_backend
from datagen.languages import parse_lang
from datagen.llm import LLMConfig, RunResult, estimate, run_task
from datagen.masking_stats import type_divergence
from datagen.masking_tasks import BACKEND, MaskedAllTypesTask, MaskSlotTask, PerTypeFillTask
from datagen.prompt_templates import load_template
from schemas.errors import InputError
from schemas.io import check_output_dir
from schemas.labels import MBTI
from schemas.manifest import Manifest

OFFLINE_WHAT = "heuristic backend (log-odds vocabulary + MiniLM ranking)"


@dataclass
class MaskedJob:
    """The command's own options (the LLM ones are in :class:`LLMConfig`)."""

    base: Path
    out: Path
    backend: str = "auto"
    articles: Path | None = None
    lang: str | None = None
    per_type: bool = False
    k: int = 5
    logprobs: bool = True
    text_col: str = "text"
    overwrite: bool = False
    progress: bool = True


def generate_masked(job: MaskedJob, config: LLMConfig) -> int:
    """Run the job; returns the exit code (1 when not a single row could be made)."""
    if not config.dry_run:
        check_output_dir(job.out, overwrite=job.overwrite)
    if job.k < 1:
        raise InputError(f"must be at least 1, got {job.k}", field="--k")
    lang = parse_lang(job.lang) if job.lang else None
    rows = read_base_sentences(job.base, text_col=job.text_col)
    lang = lang or _lang_of(rows, job.base)
    backend = resolve_backend(job.backend, config, offline_what=OFFLINE_WHAT)
    manifest = Manifest("datagen masked-sentences", inputs=[job.base, *_given(job.articles)])
    vocabulary = None
    if backend == "offline":
        if config.dry_run:
            print(
                "dry run: the offline backend sends no requests and costs nothing", file=sys.stderr
            )
            return 0
        records, failures, info, vocabulary = _offline(job, rows, lang)
    else:
        if job.articles is not None:
            vocabulary = _vocabulary(job.articles, lang)
        outcome = _llm(job, rows, lang, config)
        if outcome is None:
            return 0
        records, failures, info = outcome
    stats = type_divergence(records, vocabulary, lang)
    counts = {
        "base_sentences": len(rows),
        "sentences_complete": stats["sentences"],
        "rows": len(records),
        "failures": len(failures),
    }
    manifest.add(backend=info.pop("backend"), lang=lang, k=job.k, per_type=job.per_type, **info)
    manifest.add(type_divergence=stats)
    write_generated(
        dataset_of(records, "masked"),
        failures,
        job.out,
        manifest=manifest.finish(counts=counts),
        overwrite=job.overwrite,
    )
    print(
        f"wrote {len(records):,} rows ({stats['sentences']:,} sentences x 16 types) and "
        f"{len(failures):,} failures to {job.out}",
        file=sys.stderr,
    )
    if not records:
        print(f"error: no usable answers; see {job.out}/failures.jsonl", file=sys.stderr)
        return 1
    return 0


def _given(path: Path | None) -> list[Path]:
    return [path] if path is not None else []


def _lang_of(rows: list[dict], path: Path) -> str:
    langs = {r.get("lang") for r in rows} - {None}
    if len(langs) > 1:
        raise InputError(
            f"mixes languages {sorted(langs)}; pass --lang to choose one", file=path, field="lang"
        )
    return parse_lang(langs.pop()) if langs else "en"


def _vocabulary(articles: Path, lang: str):
    from datagen.offline.type_texts import load_type_texts
    from datagen.offline.vocabulary import build_vocabulary

    return build_vocabulary(load_type_texts(articles, lang), lang)


def _offline(job: MaskedJob, rows: list[dict], lang: str):
    from datagen.offline.backend import BACKEND as OFFLINE
    from datagen.offline.backend import OfflineBackend, OfflineSettings
    from datagen.offline.type_texts import load_type_texts

    if job.articles is None:
        raise InputError(
            "the offline backend needs the type articles: pass --articles DIR (a data set "
            "from `datagen ingest` or `datagen sentences`), or use an LLM with --base-url/a key",
            field="--articles",
        )
    settings = OfflineSettings(k=job.k)
    started = time.perf_counter()
    texts = load_type_texts(job.articles, lang)
    backend = OfflineBackend(texts, lang, settings=settings)
    built = time.perf_counter()
    records, failures = backend.mask(rows)
    done = time.perf_counter()
    info = {
        "backend": OFFLINE,
        "model": backend.model,
        "prompt_sha": settings.sha,
        "offline_settings": {**settings.__dict__, "vocabulary_size": len(backend.inputs.words)},
        "speed": {
            "setup_seconds": round(built - started, 2),
            "mask_seconds": round(done - built, 2),
            "rows_per_second": round(len(records) / max(done - started, 1e-9), 1),
        },
    }
    return records, failures, info, backend.vocabulary


def _llm(job: MaskedJob, rows: list[dict], lang: str, config: LLMConfig):
    if not job.per_type:
        task = MaskedAllTypesTask(lang, k=job.k, model=config.model)
        if config.dry_run:
            print(estimate(task, rows, config).summary())
            return None
        result = run_task(task, rows, config, progress=job.progress)
        failures = [{**f, "stage": task.name} for f in result.failures]
        _print_usage(result)
        return result.records, failures, _llm_info(config, [task], [result])
    slot_task = MaskSlotTask(lang)
    fill_task = PerTypeFillTask(lang, k=job.k, model=config.model)
    fill_config = replace(config, logprobs=job.logprobs)
    if config.dry_run:
        print(estimate(slot_task, rows, config).summary())
        guess = [{**r, "masked": r["text"]} for r in rows]
        print(estimate(fill_task, _per_type_rows(guess), fill_config).summary())
        return None
    slots = run_task(slot_task, rows, config, progress=job.progress)
    masked = [{"id": r["base_id"], "masked": r["masked"]} for r in slots.records]
    fills = run_task(fill_task, _per_type_rows(masked), fill_config, progress=job.progress)
    failures = [{**f, "stage": slot_task.name} for f in slots.failures]
    failures += [{**f, "stage": fill_task.name} for f in fills.failures]
    _print_usage(slots)
    _print_usage(fills)
    return fills.records, failures, _llm_info(config, [slot_task, fill_task], [slots, fills])


def _per_type_rows(masked: list[dict]) -> list[dict]:
    return [
        {"id": f"{m['id']}-{t}", "base_id": m["id"], "masked": m["masked"], "label": t}
        for m in masked
        for t in MBTI.labels
    ]


def _print_usage(result: RunResult) -> None:
    print(result.usage.summary(), file=sys.stderr)


def _llm_info(config: LLMConfig, tasks: list, results: list[RunResult]) -> dict:
    return {
        "backend": BACKEND,
        "model": config.model,
        "prompt_sha": tasks[-1].prompt_sha,
        "prompt_templates": {t.template.name: load_template(t.template_name).sha for t in tasks},
        "llm": {
            "response_format": config.response_format,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "logprobs": config.logprobs or len(tasks) > 1,
            "cache": str(config.cache_path) if config.use_cache else None,
        },
        "usage": {t.name: r.usage.to_dict() for t, r in zip(tasks, results, strict=True)},
    }
