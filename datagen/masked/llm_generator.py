"""The LLM's :class:`~datagen.masked.generator.MaskedGenerator`: one request per sentence for all
16 types, or with ``--per-type`` first the slot of each sentence (asked, or ``--slot offline``)
and then one request per (sentence, type)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from datagen.llm import RunResult, llm_generator
from datagen.llm.runner import BACKEND
from datagen.masked.frame_run import FrameFills
from datagen.masked.offline import slots
from datagen.masked.offline.generator import OfflineGenerator
from datagen.masked.offline.type_texts import load_type_texts
from datagen.masked.offline.vocabulary import TypeVocabulary, build_vocabulary
from datagen.masked.options import MaskedOptions
from datagen.masked.score import PerTypeScoreTask, ScoredFills
from datagen.masked.tasks import (
    MaskedAllTypesTask,
    MaskSlotTask,
    PerTypeFillTask,
    PerTypeFrameTask,
    PerTypeWordTask,
)
from datagen.masked.type_context import context_pools, with_context
from schemas.labels import MBTI
from schemas.records import MASK

TOP_LOGPROBS = 20
NO_LOGPROBS = (
    "note: no logprobs for {n} of {total} cells (the server sent none, or none at the blank): "
    "their candidates are the sampled answer alone"
)


class LLMMaskedGenerator:
    """After :meth:`run`, ``info`` holds the manifest's LLM section (model, prompt hashes,
    settings, usage per stage) and ``vocabulary`` the type vocabulary of ``--articles`` (built
    before any request, so bad articles cost nothing), if given."""

    backend = BACKEND

    def __init__(self, lang: str, opts: MaskedOptions) -> None:
        config = opts.llm
        self.model, self.lang, self.config = config.model, lang, config
        self.articles, self.per_type, self.k = opts.articles, opts.per_type, opts.k
        self.scores = opts.scores
        self.context_sentences = n = opts.context_sentences
        self._type_texts: dict[str, list[str]] | None = None
        self.info: dict[str, Any] = {}
        self.vocabulary: TypeVocabulary | None = None
        self.slots = None
        if not opts.per_type:
            task = MaskedAllTypesTask(lang, k=opts.k, model=config.model)
            self.fills = llm_generator(task, config, progress=opts.progress)
        elif opts.fill == "frame":
            task = PerTypeFrameTask(lang, k=opts.k, model=config.model, context=n > 0)
            top = TOP_LOGPROBS if opts.logprobs else None
            frame_config = replace(
                config, logprobs=opts.logprobs, top_logprobs=top, max_validation_retries=0
            )
            self.fills = FrameFills(
                task, frame_config, progress=opts.progress, contrast=opts.contrast
            )
        elif opts.scores:
            task = PerTypeScoreTask(
                lang, model=config.model, chat_template=opts.chat_template, context=n > 0
            )
            self.fills = ScoredFills(
                task, config, k=opts.k, progress=opts.progress, contrast=opts.contrast
            )
        else:
            if opts.fill == "word":
                top = TOP_LOGPROBS if opts.logprobs else None
                fill = PerTypeWordTask(lang, k=opts.k, model=config.model, context=n > 0)
                fill_config = replace(config, logprobs=opts.logprobs, top_logprobs=top)
            else:
                fill = PerTypeFillTask(lang, k=opts.k, model=config.model, context=n > 0)
                fill_config = replace(config, logprobs=opts.logprobs)
            self.fills = llm_generator(fill, fill_config, progress=opts.progress)
        if opts.per_type and opts.slot_chooser == "llm":
            self.slots = llm_generator(MaskSlotTask(lang), config, progress=opts.progress)

    def estimate(self, rows: Sequence[dict]) -> str:
        if not self.per_type:
            return self.fills.estimate(rows)
        if self.scores:
            return self.fills.estimate(self._per_type_rows(self._offline_candidates(rows)[0]))
        if self.slots is None:
            return self.fills.estimate(self._per_type_rows(offline_slots(rows, self.lang)[0]))
        guess = [{"id": r["id"], "masked": f"{MASK} {r['text']}"} for r in rows]
        return f"{self.slots.estimate(rows)}\n{self.fills.estimate(self._per_type_rows(guess))}"

    def run(self, rows: Sequence[dict]) -> RunResult:
        if self.articles is not None:
            self.vocabulary = build_vocabulary(self._texts(), self.lang)
        if self.context_sentences:  # bad or missing articles stop the run before any request
            context_pools(self._texts(), self.lang)
        results: list[RunResult] = []
        failures: list[dict] = []
        fill_rows: Sequence[dict] = rows
        if self.scores:
            masked, failures = self._offline_candidates(rows)
            fill_rows = self._per_type_rows(masked)
        elif self.per_type and self.slots is None:
            masked, failures = offline_slots(rows, self.lang)
            fill_rows = self._per_type_rows(masked)
        elif self.per_type:
            chosen = self.slots.run(rows)
            results.append(chosen)
            failures = _staged(chosen, self.slots.task.name)
            fill_rows = self._per_type_rows(
                [{"id": r["base_id"], "masked": r["masked"]} for r in chosen.records]
            )
        fills = self.fills.run(fill_rows)
        results.append(fills)
        failures += _staged(fills, self.fills.task.name)
        sampled = getattr(self.fills.task, "sampled", 0)
        if sampled and self.fills.config.logprobs:
            print(NO_LOGPROBS.format(n=sampled, total=len(fill_rows)), file=sys.stderr)
        for r in results:
            print(r.usage.summary(), file=sys.stderr)
        self.info = self._info(results)
        return RunResult(fills.records, failures, fills.usage)

    def _texts(self) -> dict[str, list[str]]:
        """The sentences of ``--articles`` per type (read once)."""
        if self._type_texts is None:
            self._type_texts = load_type_texts(self.articles, self.lang)
        return self._type_texts

    def _offline_candidates(self, rows: Sequence[dict]) -> tuple[list[dict], list[dict]]:
        """``--fill score``: each sentence masked by the offline backend, with ``words``: the
        union of its 16 types' fills (and the offline failures)."""
        offline = OfflineGenerator(self.articles, self.lang, k=self.k).run(rows)
        masked: dict[str, dict] = {}
        for record in offline.records:
            entry = masked.setdefault(record["base_id"], {
                "id": record["base_id"], "masked": record["text"], "words": set()})  # fmt: skip
            entry["words"] |= {c["word"] for c in record["candidates"]}
        found = [{**m, "words": sorted(m["words"])} for m in masked.values()]
        return found, _staged(offline, "offline")

    def _per_type_rows(self, masked: list[dict]) -> list[dict]:
        """A row per (masked sentence, type), with its type context when it is on (with
        ``--fill score`` the same for every sentence of a type)."""
        rows = _per_type_rows(masked)
        if not self.context_sentences:
            return rows
        pools = context_pools(self._texts(), self.lang)
        return with_context(rows, pools, self.context_sentences, per_sentence=not self.scores)

    def _info(self, results: list[RunResult]) -> dict[str, Any]:
        tasks = [g.task for g in (self.slots, self.fills) if g is not None]
        config = self.config
        return {
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


def _staged(result: RunResult, stage: str) -> list[dict]:
    return [{**f, "stage": stage} for f in result.failures]


def _per_type_rows(masked: list[dict]) -> list[dict]:
    """A row per (masked sentence, type); the sentence's other fields (``words``) kept."""
    return [
        {**m, "id": f"{m['id']}-{t}", "base_id": m["id"], "label": t}
        for m in masked
        for t in MBTI.labels
    ]
