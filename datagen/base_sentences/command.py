"""``datagen base-sentences``: everyday utterances, from an LLM, offline, or your own file.

From the user's file (``--from``), an LLM (batches of sentences, filtered, until N remain) or,
offline, the template grammar of :mod:`datagen.base_sentences.grammar`. Every source goes
through the same filters (:mod:`datagen.base_sentences.filter`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from datagen.base_sentences.filter import BaseSentenceFilter
from datagen.base_sentences.grammar import GrammarGenerator
from datagen.base_sentences.read import base_id, read_base_sentences
from datagen.base_sentences.task import BaseSentenceGbnfTask, BaseSentencesTask
from datagen.generation import Generator, make_generator
from datagen.llm import LLMConfig, llm_generator
from datagen.prompts.languages import parse_lang
from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.io import check_output_dir, publish, to_dataset
from schemas.manifest import Manifest
from schemas.options import group, option

DEFAULT_N = 900
OVERSHOOT = 1.25


@dataclass
class BaseSentencesOptions(ConsoleOptions):
    out: Path = option(help="Output directory (a `base_sentences` data set).")
    n: int | None = option(
        None, help="Sentences wanted (default 900; with --from: every one that passes).", ge=1
    )
    lang: str = option("en", help="Language of the sentences: en or ko.")
    source: Path | None = option(
        None,
        flag="--from",
        help="Use your own sentences: .txt (one a line) or a table with a text column; they "
        "are filtered like generated ones.",
    )
    text_col: str = option("text", help="Text column of the --from table.")
    backend: str = option(
        "auto",
        help="auto (an LLM when a key or --base-url is given, else the offline template "
        "grammar), openai, or offline.",
    )
    per_request: int = option(
        25, help="Sentences asked for per request.", ge=1, aliases=("--batch-size",)
    )
    gbnf: bool = option(
        False,
        flag="--gbnf",
        help="For small models on llama.cpp's server: one sentence per request (--per-request "
        "is ignored), spelt by a GBNF `grammar` (--min-words..--max-words words ending in . ! "
        "or ?; English ones start with I) instead of a JSON list.",
    )
    max_rounds: int = option(5, cli=False, help="Most rounds of LLM requests.", ge=1)
    min_words: int = option(4, help="Shortest sentence kept, in words.", ge=1)
    max_words: int = option(40, help="Longest sentence kept, in words.", ge=1)
    near_duplicate: float = option(
        0.95, help="Cosine (MiniLM) at which a sentence counts as a repeat.", gt=0, le=1
    )
    seed: int = option(0, help="Order of the offline grammar's sentences.", ge=0)
    overwrite: bool = option(False, flag="--overwrite", help="Replace an existing --out.")
    llm: LLMConfig = group(LLMConfig, panel="LLM")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.lang = parse_lang(self.lang)
        if self.min_words > self.max_words:
            raise InputError(
                f"need --min-words <= --max-words, got {self.min_words} and {self.max_words}",
                field="--min-words",
            )


def run(opts: BaseSentencesOptions) -> None:
    """Write N everyday sentences (filtered: length, language, duplicates, near duplicates)."""
    from augment.search.embeddings import embed, load_embedder

    config = opts.llm
    if not config.dry_run:
        check_output_dir(opts.out, overwrite=opts.overwrite)
    manifest = Manifest(
        "datagen base-sentences", inputs=[opts.source] if opts.source else [], seed=opts.seed
    )
    sentences = BaseSentenceFilter(
        opts.lang,
        min_words=opts.min_words,
        max_words=opts.max_words,
        near_duplicate=opts.near_duplicate,
        embed=lambda texts: embed(texts, load_embedder()),
    )
    failures: list[dict] = []
    if opts.source is not None:
        rows = _from_file(opts, sentences)
        info: dict = {"source": "file"}
    else:
        generator = make_generator(
            opts.backend,
            config,
            llm=lambda: llm_generator(_task(opts), config, progress=opts.progress),
            offline=lambda: GrammarGenerator(opts.lang, opts.seed),
            offline_what="template grammar",
        )
        outcome = _generate(generator, opts, sentences)
        if outcome is None:
            return
        texts, failures, info = outcome
        rows = [{"id": base_id(i), "text": t} for i, t in enumerate(texts, start=1)]
    if not rows:
        raise InputError(
            f"no sentence passed the filters ({_removed(sentences)}); check --lang, "
            "--min-words/--max-words and --near-duplicate",
            file=opts.source,
        )
    rows = [{**r, "lang": opts.lang} for r in rows]
    wanted = opts.n or (DEFAULT_N if opts.source is None else len(rows))
    if len(rows) < wanted:
        print(
            f"warning: only {len(rows)} of {wanted} sentences passed the filters", file=sys.stderr
        )
    settings = {k: getattr(opts, k) for k in ("min_words", "max_words", "near_duplicate")}
    manifest.add(lang=opts.lang, filters={**settings, **sentences.report()}, **info)
    counts = {"rows": len(rows), "failures": len(failures)}
    with publish(
        opts.out, manifest=manifest.finish(counts=counts), overwrite=opts.overwrite
    ) as out:
        out.dataset(to_dataset(rows, "base_sentences"))
        out.jsonl("failures.jsonl", failures)
    opts.say(f"wrote {len(rows):,} base sentences to {opts.out}")


def _task(opts: BaseSentencesOptions) -> BaseSentencesTask:
    kind = BaseSentenceGbnfTask if opts.gbnf else BaseSentencesTask
    return kind(opts.lang, min_words=opts.min_words, max_words=opts.max_words)


def _removed(sentences: BaseSentenceFilter) -> str:
    removed = ", ".join(f"{k}: {v}" for k, v in sorted(sentences.removed.items()))
    return f"removed {removed}" if removed else "none given"


def _from_file(opts: BaseSentencesOptions, sentences: BaseSentenceFilter) -> list[dict]:
    rows = read_base_sentences(opts.source, text_col=opts.text_col)
    kept = [rows[i] for i in sentences.add([r["text"] for r in rows])]
    return [{"id": r["id"], "text": r["text"]} for r in kept[: opts.n]]


def _generate(generator: Generator, opts: BaseSentencesOptions, sentences: BaseSentenceFilter):
    """Ask for the missing sentences (+25 %) round by round until N pass the filters, a round
    adds none, or the rounds run out. The LLM is asked ``--per-request`` sentences a request;
    the offline grammar gives a round's sentences at once (and until it runs out)."""
    grammar = isinstance(generator, GrammarGenerator)
    n = opts.n or DEFAULT_N
    kept: list[str] = []
    failures: list[dict] = []
    usage: list[dict] = []
    next_batch = 0
    for _ in range(sys.maxsize if grammar else opts.max_rounds):
        wanted = math.ceil((n - len(kept)) * OVERSHOOT)
        size = wanted if grammar else 1 if opts.gbnf else opts.per_request
        rows = [
            {"id": f"batch-{b:05d}", "batch": b, "n": size}
            for b in range(next_batch, next_batch + math.ceil(wanted / size))
        ]
        next_batch += len(rows)
        if opts.llm.dry_run:
            print(generator.estimate(rows))
            return None
        result = generator.run(rows)
        texts = [r["text"] for r in result.records]
        new = sentences.add(texts)
        kept.extend(texts[i] for i in new)
        if grammar:
            if len(kept) >= n or not texts:
                break
            continue
        opts.say(result.usage.summary())
        failures += [{**f, "stage": generator.task.name} for f in result.failures]
        usage.append(result.usage.to_dict())
        if len(kept) >= n or not new:
            break
    if grammar:
        return kept[:n], failures, {"source": "offline-grammar", "backend": generator.backend}
    info = {
        "source": "llm",
        "backend": generator.backend,
        "model": generator.model,
        "prompt_sha": generator.task.prompt_sha,
        "requests_batches": next_batch,
        "usage": usage,
    }
    return kept[:n], failures, info
