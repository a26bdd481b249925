"""``datagen masked-sentences``: base sentences -> the ``masked`` (phase-2) data set.

One row per (sentence, type), in base order then type order. The generator comes from
:func:`datagen.generation.make_generator`: the LLM's (:mod:`datagen.masked.llm_generator`) or
the offline one (:mod:`datagen.masked.offline`); either describes its own run
(:class:`~datagen.masked.generator.MaskedGenerator`). Failures go to ``failures.jsonl``, never
into the data.
"""

from __future__ import annotations

import sys
from pathlib import Path

from datagen.base_sentences.read import read_base_sentences
from datagen.generation import make_generator
from datagen.masked.generator import MaskedGenerator
from datagen.masked.llm_generator import LLMMaskedGenerator
from datagen.masked.offline.generator import DESCRIPTION, OfflineGenerator
from datagen.masked.options import MaskedOptions
from datagen.masked.probe import type_probe
from datagen.masked.report import quality_report
from datagen.masked.stats import type_divergence
from datagen.masked.type_context import type_context_info
from datagen.prompts.languages import parse_lang
from schemas.errors import InputError
from schemas.io import check_output_dir, publish, to_dataset
from schemas.manifest import Manifest

NO_BATCH_API = (
    "--per-type cannot run through the Batch API: its fills wait for the slot answers (two "
    "batches of up to 24 h in a row) and read the server's logprobs; drop --batch-api or --per-type"
)


def run(opts: MaskedOptions) -> None:
    """Mask one word or phrase of each base sentence and give each of the 16 types its fills."""
    config = opts.llm
    if not config.dry_run:
        check_output_dir(opts.out, overwrite=opts.overwrite)
    rows = read_base_sentences(opts.base, text_col=opts.text_col)
    lang = opts.lang or _lang_of(rows, opts.base)
    generator: MaskedGenerator = make_generator(
        opts.backend,
        config,
        llm=lambda: LLMMaskedGenerator(lang, opts),
        offline=lambda: OfflineGenerator(opts.articles, lang, k=opts.k),
        offline_what=DESCRIPTION,
        no_batch_api=NO_BATCH_API if opts.per_type else None,
    )
    inputs = [opts.base, *([opts.articles] if opts.articles else [])]
    manifest = Manifest("datagen masked-sentences", inputs=inputs)
    if config.dry_run:
        print(generator.estimate(rows))
        return
    result = generator.run(rows)
    records, failures = result.records, result.failures
    base = {r["id"]: r["text"] for r in rows}
    stats = type_divergence(records, generator.vocabulary, lang, base)
    counts = {
        "base_sentences": len(rows),
        "sentences_complete": stats["sentences"],
        "rows": len(records),
        "failures": len(failures),
    }
    per_type = {"slot": opts.slot_chooser, "fill": opts.fill, **type_context_info(opts)}
    if opts.fill in ("frame", "score"):
        per_type["type_contrast"] = opts.contrast
    if opts.scores:
        per_type["chat_template"] = opts.chat_template
    manifest.add(
        backend=generator.backend,
        lang=lang,
        k=opts.k,
        per_type=per_type if opts.per_type else False,
        **generator.info,
    )
    probe = type_probe(records)
    manifest.add(type_divergence=stats, type_probe=probe)
    with publish(
        opts.out, manifest=manifest.finish(counts=counts), overwrite=opts.overwrite
    ) as out:
        if records:
            out.dataset(to_dataset(records, "masked"))
        out.jsonl("failures.jsonl", failures)
        report = quality_report(
            records,
            stats,
            probe,
            backend=generator.backend,
            model=generator.model,
            type_context=per_type["type_context"] if opts.per_type else 0,
            type_contrast=opts.contrast if opts.per_type else 0.0,
        )
        out.text("report.md", report)
    opts.say(
        f"wrote {len(records):,} rows ({stats['sentences']:,} sentences x 16 types) and "
        f"{len(failures):,} failures to {opts.out}"
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
