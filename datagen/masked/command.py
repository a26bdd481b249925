"""``datagen masked-sentences``: base sentences -> the ``masked`` (phase-2) data set.

One row per (sentence, type), in base order then type order. The LLM path asks one request per
sentence for all 16 types, or with ``--per-type`` first the slot of each sentence and then one
request per (sentence, type); the offline path is :mod:`datagen.masked.offline`. Failures go to
``failures.jsonl``, never into the data.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from datagen.base_sentences.read import read_base_sentences
from datagen.generation import Generator, make_generator
from datagen.languages import parse_lang
from datagen.llm import LLMConfig, RunResult, llm_generator
from datagen.llm.runner import BACKEND
from datagen.masked.frame_run import FrameFills
from datagen.masked.offline import slots
from datagen.masked.offline.generator import DESCRIPTION, OfflineGenerator
from datagen.masked.report import quality_report
from datagen.masked.stats import type_divergence
from datagen.masked.tasks import (
    MaskedAllTypesTask,
    MaskSlotTask,
    PerTypeFillTask,
    PerTypeFrameTask,
    PerTypeWordTask,
)
from schemas.errors import InputError
from schemas.io import check_output_dir, publish, to_dataset
from schemas.labels import MBTI
from schemas.manifest import Manifest
from schemas.options import group, option
from schemas.records import MASK

SLOT_CHOOSERS = ("llm", "offline")
FILL_MODES = ("list", "word", "frame")
TOP_LOGPROBS = 20
NO_LOGPROBS = (
    "note: no logprobs for {n} of {total} cells (the server sent none, or none at the blank): "
    "their candidates are the sampled answer alone"
)

NO_BATCH_API = (
    "--per-type cannot run through the Batch API: its fills wait for the slot answers (two "
    "batches of up to 24 h in a row) and read the server's logprobs; drop --batch-api or --per-type"
)


@dataclass
class MaskedOptions:
    base: Path = option(
        argument=True,
        help="Base sentences: a data set from `datagen base-sentences`, a table with a text "
        "column (.jsonl/.csv/.parquet/...) or a .txt file with one sentence a line.",
    )
    out: Path = option(help="Output directory (the `masked` data set).")
    backend: str = option(
        "auto",
        help="auto (an LLM when a key or --base-url is given, else offline), openai (any "
        "OpenAI-compatible endpoint) or offline (heuristic, not an LLM).",
    )
    articles: Path | None = option(
        None,
        help="Type articles or type sentences (from `datagen ingest` / `datagen sentences`): "
        "required by the offline backend; with an LLM they only feed the own-vocabulary check "
        "in the manifest.",
    )
    lang: str | None = option(
        None, help="Language of the fills: en or ko (default: the base set's `lang`)."
    )
    per_type: bool = option(
        False,
        flag="--per-type",
        help="One request per (sentence, type) after one per sentence for the slot; candidate "
        "probabilities from logprobs where the server returns them.",
    )
    logprobs: bool = option(True, help="With --per-type: ask for token logprobs.")
    slot: str = option(
        "llm",
        help="With --per-type: who picks the word to mask: llm (one request per sentence) or "
        "offline (the offline slot chooser, no request; for small local models).",
    )
    fill: str = option(
        "list",
        help="With --per-type: list (the model states up to --k fills with probabilities), "
        "word (one word per request as JSON under --response-format's schema: the candidates "
        "come from the first token's top_logprobs, or are the answer alone when the server "
        "sends none) or frame (for small models on llama.cpp's server, e.g. with --slot offline: "
        "the answer is the sentence itself, spelt by a GBNF `grammar` with the blank left "
        "free; candidates from the top_logprobs where the word starts; no validation retries; "
        "--max-tokens defaults to the sentence up to the blank plus a few tokens).",
    )
    k: int = option(5, help="Candidate fills per type (at most).")
    text_col: str = option("text", help="Text column of the base table.")
    overwrite: bool = option(False, flag="--overwrite", help="Replace an existing --out.")
    progress: bool = option(True, help="Show progress bars.")
    llm: LLMConfig = group(LLMConfig, panel="LLM")

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError(f"must be at least 1, got {self.k}", field="--k")
        for name, choices in (("slot", SLOT_CHOOSERS), ("fill", FILL_MODES)):
            if getattr(self, name) not in choices:
                raise InputError(
                    f"unknown {name} {getattr(self, name)!r} (choose from {', '.join(choices)})",
                    field=f"--{name}",
                )
        self.lang = parse_lang(self.lang) if self.lang else None
        if self.fill == "frame" and self.llm.batch_api:
            raise InputError(
                "--fill frame sends a GBNF grammar per request, which the Batch API does not "
                "take; use --fill word",
                field="--fill",
            )


class PerTypeGenerator:
    """``--per-type``: the slot of each sentence (asked, or ``--slot offline``), then one request
    per (sentence, type)."""

    backend = BACKEND

    def __init__(self, lang: str, opts: MaskedOptions) -> None:
        config = opts.llm
        self.model, self.lang = config.model, lang
        self.slots = None
        if opts.slot == "llm":
            self.slots = llm_generator(MaskSlotTask(lang), config, progress=opts.progress)
        top = TOP_LOGPROBS if opts.logprobs else None
        if opts.fill == "frame":
            task = PerTypeFrameTask(lang, k=opts.k, model=config.model)
            frame_config = replace(
                config, logprobs=opts.logprobs, top_logprobs=top, max_validation_retries=0
            )
            self.fills = FrameFills(task, frame_config, progress=opts.progress)
        else:
            if opts.fill == "word":
                fill = PerTypeWordTask(lang, k=opts.k, model=config.model)
                fill_config = replace(config, logprobs=opts.logprobs, top_logprobs=top)
            else:
                fill = PerTypeFillTask(lang, k=opts.k, model=config.model)
                fill_config = replace(config, logprobs=opts.logprobs)
            self.fills = llm_generator(fill, fill_config, progress=opts.progress)
        self.tasks = [g.task for g in (self.slots, self.fills) if g is not None]
        self.results: list[RunResult] = []

    def estimate(self, rows: Sequence[dict]) -> str:
        if self.slots is None:
            return self.fills.estimate(_per_type_rows(offline_slots(rows, self.lang)[0]))
        guess = [{"id": r["id"], "masked": f"{MASK} {r['text']}"} for r in rows]
        return f"{self.slots.estimate(rows)}\n{self.fills.estimate(_per_type_rows(guess))}"

    def run(self, rows: Sequence[dict]) -> RunResult:
        failures: list[dict] = []
        if self.slots is None:
            masked, failures = offline_slots(rows, self.lang)
        else:
            chosen = self.slots.run(rows)
            masked = [{"id": r["base_id"], "masked": r["masked"]} for r in chosen.records]
            failures = [{**f, "stage": self.slots.task.name} for f in chosen.failures]
            self.results.append(chosen)
        fills = self.fills.run(_per_type_rows(masked))
        self.results.append(fills)
        failures += [{**f, "stage": self.fills.task.name} for f in fills.failures]
        sampled = getattr(self.fills.task, "sampled", 0)
        if sampled and self.fills.config.logprobs:
            print(NO_LOGPROBS.format(n=sampled, total=len(masked) * 16), file=sys.stderr)
        return RunResult(fills.records, failures, fills.usage)


def offline_slots(rows: Sequence[dict], lang: str) -> tuple[list[dict], list[dict]]:
    """``--slot offline``: each sentence masked by the offline slot chooser (no model)."""
    masked, failures = [], []
    for row in rows:
        words = slots.slot_candidates(row["text"], lang)
        slot = slots.choose_slot(row["text"], words, {}, lang)
        if slot is None:
            failures.append({"row_id": row["id"], "reason": "no word to mask", "attempts": 0,
                             "stage": "offline_slot"})  # fmt: skip
        else:
            masked.append({"id": row["id"], "masked": slots.mask_slot(row["text"], slot)})
    return masked, failures


def run(opts: MaskedOptions) -> None:
    """Mask one word or phrase of each base sentence and give each of the 16 types its fills."""
    config = opts.llm
    if not config.dry_run:
        check_output_dir(opts.out, overwrite=opts.overwrite)
    rows = read_base_sentences(opts.base, text_col=opts.text_col)
    lang = opts.lang or _lang_of(rows, opts.base)
    generator = make_generator(
        opts.backend,
        config,
        llm=lambda: _llm(lang, opts),
        offline=lambda: OfflineGenerator(opts.articles, lang, k=opts.k),
        offline_what=DESCRIPTION,
        no_batch_api=NO_BATCH_API if opts.per_type else None,
    )
    inputs = [opts.base, *([opts.articles] if opts.articles else [])]
    manifest = Manifest("datagen masked-sentences", inputs=inputs)
    if config.dry_run:
        print(generator.estimate(rows))
        return
    vocabulary = None
    if not isinstance(generator, OfflineGenerator) and opts.articles is not None:
        vocabulary = _vocabulary(opts.articles, lang)
    result = generator.run(rows)
    records = result.records
    if isinstance(generator, OfflineGenerator):
        vocabulary, failures, info = generator.vocabulary, result.failures, generator.info
    else:
        failures, info = _llm_outcome(generator, result, opts)
    base = {r["id"]: r["text"] for r in rows}
    stats = type_divergence(records, vocabulary, lang, base)
    counts = {
        "base_sentences": len(rows),
        "sentences_complete": stats["sentences"],
        "rows": len(records),
        "failures": len(failures),
    }
    per_type = {"slot": opts.slot, "fill": opts.fill} if opts.per_type else False
    manifest.add(backend=generator.backend, lang=lang, k=opts.k, per_type=per_type, **info)
    manifest.add(type_divergence=stats)
    with publish(
        opts.out, manifest=manifest.finish(counts=counts), overwrite=opts.overwrite
    ) as out:
        if records:
            out.dataset(to_dataset(records, "masked"))
        out.jsonl("failures.jsonl", failures)
        report = quality_report(records, stats, backend=generator.backend, model=generator.model)
        out.text("report.md", report)
    print(
        f"wrote {len(records):,} rows ({stats['sentences']:,} sentences x 16 types) and "
        f"{len(failures):,} failures to {opts.out}",
        file=sys.stderr,
    )
    if not records:
        print(f"error: no usable answers; see {opts.out}/failures.jsonl", file=sys.stderr)
        raise SystemExit(1)


def _lang_of(rows: list[dict], path: Path) -> str:
    langs = {r.get("lang") for r in rows} - {None}
    if len(langs) > 1:
        raise InputError(
            f"mixes languages {sorted(langs)}; pass --lang to choose one", file=path, field="lang"
        )
    return parse_lang(langs.pop()) if langs else "en"


def _vocabulary(articles: Path, lang: str):
    from datagen.masked.offline.type_texts import load_type_texts
    from datagen.masked.offline.vocabulary import build_vocabulary

    return build_vocabulary(load_type_texts(articles, lang), lang)


def _llm(lang: str, opts: MaskedOptions) -> Generator:
    if opts.per_type:
        return PerTypeGenerator(lang, opts)
    task = MaskedAllTypesTask(lang, k=opts.k, model=opts.llm.model)
    return llm_generator(task, opts.llm, progress=opts.progress)


def _per_type_rows(masked: list[dict]) -> list[dict]:
    return [
        {"id": f"{m['id']}-{t}", "base_id": m["id"], "masked": m["masked"], "label": t}
        for m in masked
        for t in MBTI.labels
    ]


def _llm_outcome(generator: Generator, result: RunResult, opts: MaskedOptions):
    """The failures (with their stage) and the manifest's LLM section of a finished run."""
    if isinstance(generator, PerTypeGenerator):
        tasks, results, failures = generator.tasks, generator.results, result.failures
    else:
        tasks, results = [generator.task], [result]
        failures = [{**f, "stage": generator.task.name} for f in result.failures]
    for r in results:
        print(r.usage.summary(), file=sys.stderr)
    config = opts.llm
    info = {
        "model": config.model,
        "prompt_sha": tasks[-1].prompt_sha,
        "prompt_templates": {t.template.name: t.template.sha for t in tasks},
        "llm": {
            "response_format": config.response_format,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "logprobs": config.logprobs or len(tasks) > 1,
            "cache": str(config.cache_path) if config.use_cache else None,
        },
        "usage": {t.name: r.usage.to_dict() for t, r in zip(tasks, results, strict=True)},
    }
    return failures, info
