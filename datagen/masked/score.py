"""``--fill score`` (small models on llama.cpp's server): the model chooses nothing; it scores
words. A small model asked to fill the blank picks the same few words for every type (its fills
carry no type: the fifth session's probe at chance), but its *probabilities* of type words still
move with the type it is shown (bench/llm_type_probe.py: 0.676 per axis on 25 sentences).

Each masked sentence's slot and candidates are the offline backend's: the union of its 16
types' fills, so that every type is scored on the same words and only the model's probabilities
differ by type. For each (sentence, type, word) one text completion (``/v1/completions``): the
per-type prompt (templates v2, the type described by ``--type-context`` sentences of its own
articles, the same sentences for every sentence of the type) in ``--chat-template``, then the
sentence up to the blank; a grammar of the word's token ids (``root ::= <[id]> <[id]>``, as the
server's own tokenizer splits the word after the sentence's start) makes the model spell exactly
that word, and the logprobs of those tokens are its score. The requests of one type follow each
other, so the server evaluates their shared prompt once. Per cell: softmax over the words, type
contrast (:mod:`.contrast`), the ``k`` best.

Token ids come from the server: llama-cpp-python's ``/extras/tokenize`` or llama.cpp's
``/tokenize``, beside ``/v1``; they are kept in the LLM cache, so a rerun sends nothing.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx

from datagen.llm import LLMConfig, OnlineGenerator, RunResult, estimate
from datagen.llm.cache import LLMResponse, RequestKeys, ResponseCache
from datagen.llm.config import resolve_api_key
from datagen.masked.answers import normalise_candidates
from datagen.masked.contrast import contrast_types
from datagen.masked.frame import split_frame
from datagen.masked.tasks import FrameAnswer, PerTypeTask, masked_row
from schemas.errors import InputError

TOKENIZE_ROUTES = (("/extras/tokenize", "input"), ("/tokenize", "content"))
NO_TOKENIZER = (
    "--fill score needs the server's tokenizer (llama-cpp-python's /extras/tokenize or "
    "llama.cpp's /tokenize beside {url}): {error}"
)
NOT_SPELT = (
    "the server did not spell the word's {n} tokens with their logprobs (--fill score needs "
    "llama.cpp's token grammar `<[id]>` on /v1/completions)"
)
WORDS_FAILED = "note: {n} of {total} word scorings failed and were left out ({reason})"


def render_chat(messages: Sequence[dict], template: str) -> str:
    """The messages as one prompt text, up to the assistant's answer: ``chatml``
    (``<|im_start|>role\\n...<|im_end|>``) or ``plain`` (their text one after the other)."""
    if template == "chatml":
        turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return turns + "<|im_start|>assistant\n"
    return "".join(f"{m['content']}\n\n" for m in messages)


class PerTypeScoreTask(PerTypeTask):
    """Rows ``{id, base_id, masked, label, context, word, word_ids}``: one text completion that
    spells ``word`` (its token ids) after the type's prompt (the type described by the row's
    ``context``, template v2, or with ``context=False`` named, v1) and the sentence up to the
    blank; the answer is ``{row, logprob}``, the sum of the word's token logprobs."""

    name = "masked_score"
    template_source = ("datagen.masked", "masked_frame")
    response_model = FrameAnswer
    json_answer = False
    endpoint = "completions"
    est_completion_tokens = 2

    def __init__(self, lang: str, *, model: str, chat_template: str, context: bool = True) -> None:
        super().__init__(lang, context=context)
        self.model, self.chat_template = model, chat_template
        self.prompt_templates = (self.template.text, f"chat template: {chat_template}")

    def prompt(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        messages = self.template.render(**self.type_slots(row))
        head, _, _ = split_frame(row["masked"])
        ids = row["word_ids"]
        return [{
            "prompt": render_chat(messages, self.chat_template) + head,
            "grammar": "root ::= " + " ".join(f"<[{i}]>" for i in ids),
            "max_tokens": len(ids),
        }]  # fmt: skip

    def request_fields(self) -> dict[str, Any]:
        return {"logprobs": 1}

    def read_answer(self, content: str) -> FrameAnswer:
        return FrameAnswer(text=content)

    def parse(self, row, response, logprobs):
        if not logprobs or len(logprobs) != len(row["word_ids"]):
            raise ValueError(NOT_SPELT.format(n=len(row["word_ids"])))
        return [{"row": row, "logprob": sum(float(t.get("logprob", -math.inf)) for t in logprobs)}]


class NotCached(LookupError):
    """A text whose ids the cache does not hold, asked of a tokenizer that may not send."""


class ServerTokenizer:
    """The server's own token ids of a text (with what it puts in front, such as a BOS token),
    through the LLM cache: asked once per text, then read from there (so is a rerun without the
    server); ``send=False``: from the cache only (:class:`NotCached` otherwise)."""

    def __init__(self, config: LLMConfig, *, send: bool = True) -> None:
        self.config, self.send = config, send
        self.url = config.endpoint().removesuffix("/v1")
        self.cache = ResponseCache(config.cache_path if config.use_cache else None)
        self._keys = RequestKeys(config, {"tokenize": True})  # endpoint + model, as requests
        self.route: tuple[str, str] | None = None
        self._http: httpx.Client | None = None

    def __enter__(self) -> ServerTokenizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, text: str) -> list[int]:
        key = self._keys([{"text": text}])
        hit = self.cache.get(key)
        if hit is not None:
            return json.loads(hit.content or "[]")
        if not self.send:
            raise NotCached(text)
        ids = self._ask(text)
        self.cache.put(key, self.config.model, LLMResponse(json.dumps(ids), None, 0, 0))
        return ids

    def _ask(self, text: str) -> list[int]:
        if self._http is None:
            headers = {"Authorization": f"Bearer {resolve_api_key(self.config)}"}
            self._http = httpx.Client(headers=headers, timeout=self.config.timeout)
        error = "no answer"
        for path, field in [self.route] if self.route else TOKENIZE_ROUTES:
            try:
                response = self._http.post(self.url + path, json={field: text})
            except httpx.HTTPError as err:
                error = f"{type(err).__name__}: {err}"
                continue
            if response.status_code == 200:
                try:
                    tokens = response.json().get("tokens")
                except (ValueError, AttributeError):
                    tokens = None
                if isinstance(tokens, list) and all(isinstance(t, int) for t in tokens):
                    self.route = (path, field)
                    return tokens
            error = f"HTTP {response.status_code} from {path}"
        raise InputError(NO_TOKENIZER.format(url=self.url, error=error), field="--fill")

    def word_ids(self, head: str, gap: str, word: str) -> list[int]:
        """The ids of ``word`` as the tokenizer splits it after ``head`` and ``gap``: the tail
        of ``head + gap + word``'s ids after ``head``'s (or, when the tokenizer merges across
        the boundary or there is no ``head``, ``gap + word``'s after what the server puts in
        front of any text)."""
        start, whole = self(head), self(head + gap + word)
        if head and whole[: len(start)] == start and len(whole) > len(start):
            return whole[len(start) :]
        front, alone = self(""), self(gap + word)
        return alone[len(front) :] if alone[: len(front)] == front else alone

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self.cache.close()


class ScoredFills:
    """A generator over per-type rows ``{id, base_id, masked, label, context, words}`` (``words``:
    the sentence's candidates) for ``--fill score``; its ``task`` is the scoring task."""

    def __init__(
        self, task: PerTypeScoreTask, config: LLMConfig, *, k: int, progress: bool, contrast: float
    ) -> None:
        self.task, self.k, self.progress, self.contrast = task, k, progress, contrast
        self.config = replace(config, temperature=0.0, logprobs=False, max_validation_retries=0)

    def scorings(self, rows: Sequence[dict], tokenizer: ServerTokenizer) -> list[dict]:
        """One row per (cell, word), a type's words in a row (with a tokenizer that may not
        send, only the words whose ids the cache holds). A sentence's words are tokenized once,
        not once per type."""
        ids_of: dict[tuple[str, str], list[int] | None] = {}
        out = []
        for row in rows:
            head, gap, _ = split_frame(row["masked"])
            for word in row["words"]:
                if (row["masked"], word) not in ids_of:
                    try:
                        ids_of[row["masked"], word] = tokenizer.word_ids(head, gap, word)
                    except NotCached:
                        ids_of[row["masked"], word] = None
                if (ids := ids_of[row["masked"], word]) is not None:
                    out.append({**row, "id": f"{row['id']}:{word}", "cell": row["id"],
                                "word": word, "word_ids": ids})  # fmt: skip
        return out

    def estimate(self, rows: Sequence[dict]) -> str:
        with ServerTokenizer(self.config, send=False) as tokenizer:
            known = self.scorings(rows, tokenizer)
        total = sum(len(r["words"]) for r in rows)
        found = estimate(self.task, known, self.config)
        unknown = total - len(known)
        found = replace(found, rows=total, requests=found.requests + unknown)
        return f"{found.summary()}\nnote: {total:,} word scorings, one request each"

    def run(self, rows: Sequence[dict]) -> RunResult:
        with ServerTokenizer(self.config) as tokenizer:
            scorings = self.scorings(rows, tokenizer)
        result = OnlineGenerator(self.task, self.config, progress=self.progress).run(scorings)
        scores: dict[str, dict[str, float]] = {}
        for record in result.records:
            row = record["row"]
            scores.setdefault(row["cell"], {})[row["word"]] = record["logprob"]
        if result.failures:
            reason = result.failures[0]["reason"]
            print(WORDS_FAILED.format(n=len(result.failures), total=len(scorings), reason=reason),
                  file=sys.stderr)  # fmt: skip
        records, failures = [], []
        by_base: dict[str, list[dict]] = {}
        for row in rows:
            by_base.setdefault(row["base_id"], []).append(row)
        for group in by_base.values():
            cells = [_softmax(scores.get(row["id"], {})) for row in group]
            for row, cell in zip(group, contrast_types(cells, self.contrast), strict=True):
                if not cell:
                    failures.append({"row_id": row["id"], "reason": "no word was scored",
                                     "attempts": 1, "raw": None})  # fmt: skip
                    continue
                candidates = normalise_candidates(cell.items(), self.k, label=row["label"])
                task = self.task
                records.append(masked_row(row["base_id"], row["masked"], row["label"],
                                          candidates, task.model, task.prompt_sha))  # fmt: skip
        return RunResult(records, failures, result.usage)


def _softmax(logprobs: dict[str, float]) -> dict[str, float] | None:
    """The words' probabilities among themselves (``None``: no word)."""
    finite = {w: lp for w, lp in logprobs.items() if math.isfinite(lp)}
    if not finite:
        return None
    top = max(finite.values())
    weights = {w: math.exp(lp - top) for w, lp in finite.items()}
    total = sum(weights.values())
    return {w: p / total for w, p in weights.items()}
