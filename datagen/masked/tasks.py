"""The LLM requests of ``datagen masked-sentences``, as :class:`~datagen.llm.task.LLMTask`s.

- :class:`MaskedAllTypesTask`: one request per base sentence: the masked sentence and the
  candidate fills of all 16 types.
- :class:`MaskSlotTask` + :class:`PerTypeFillTask` (``--per-type``): first the slot of each
  sentence, then one request per (sentence, type); with logprobs, the candidates' probabilities
  come from the tokens the model generated for them.
- :class:`PerTypeWordTask` (``--per-type --fill word``, for small local models): one word per
  (sentence, type), the candidates from the ``top_logprobs`` of the word's first token (the
  model's "probability of the vocabulary" at the blank), else the answer alone.
- :class:`PerTypeFrameTask` (``--per-type --fill frame``, llama.cpp's server): the answer is the
  masked sentence itself, spelt by a GBNF grammar with the blank left free; the other word
  starts at the blank are continued into whole words (:mod:`datagen.masked.frame_run`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from datagen.llm.runner import BACKEND
from datagen.masked.answers import (
    WORD_PATTERNS,
    MaskedAllTypesResponse,
    MaskSlotResponse,
    PerTypeResponse,
    check_fill,
    check_masked,
    normalise_candidates,
    word_response,
)
from datagen.masked.frame import NOT_FRAMED, frame_grammar, framed_word, read_blank
from datagen.masked.offline.fit import word_tags
from datagen.masked.type_context import format_context
from datagen.prompts.languages import language_name
from datagen.prompts.template import TemplatedTask, load_template
from datagen.prompts.type_names import POLE_NAMES, type_description
from schemas.labels import MBTI

_WORD_VALUE = re.compile(r'"word"\s*:\s*"((?:[^"\\]|\\.)*)"')


class MaskedAllTypesTask(TemplatedTask):
    """Rows are base sentences ``{id, text}``; each answer becomes 16 ``masked`` rows."""

    name = "masked_all_types"
    template_source = ("datagen.masked", "masked_all_types")
    response_model = MaskedAllTypesResponse
    est_completion_tokens = 16 * 3 * 12 + 40

    def __init__(self, lang: str, *, k: int, model: str) -> None:
        super().__init__(lang)
        self.k, self.model = k, model

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(
            sentence=row["text"],
            types=", ".join(MBTI.labels),
            k=self.k,
            language=language_name(self.lang),
        )

    def parse(self, row, response, logprobs):
        masked = check_masked(row["text"], response.masked)
        return [
            masked_row(
                row["id"],
                masked,
                label,
                normalise_candidates(
                    ((f.word, f.prob) for f in getattr(response.fills, label)), self.k, label=label
                ),
                self.model,
                self.prompt_sha,
            )
            for label in MBTI.labels
        ]


class MaskSlotTask(TemplatedTask):
    """``--per-type`` step 1: rows are base sentences; the answer is the masked sentence."""

    name = "mask_slot"
    template_source = ("datagen.masked", "mask_slot")
    response_model = MaskSlotResponse
    est_completion_tokens = 40

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(sentence=row["text"])

    def parse(self, row, response, logprobs):
        return [{"base_id": row["id"], "masked": check_masked(row["text"], response.masked)}]


class PerTypeTask(TemplatedTask):
    """A request per (sentence, type): rows ``{id, base_id, masked, label}`` (and ``context``
    with ``context=True``). The prompt names the type (template v1) or, with ``context``
    (``--type-context``), describes it by the row's ``context`` sentences from its articles
    (template v2, no type name; v1 and its ``prompt_sha`` stay as they were)."""

    def __init__(self, lang: str, *, context: bool = False) -> None:
        super().__init__(lang)
        self.context = context
        if context:
            self.template = load_template(*self.template_source, "v2")
            self.prompt_templates = (self.template.text,)

    def type_slots(self, row: dict[str, Any]) -> dict[str, str]:
        """The template slots of ``row``: its masked sentence, the language and its type."""
        slots = {"masked": row["masked"], "language": language_name(self.lang)}
        if self.context:
            return {**slots, "context": format_context(row["context"])}
        return {**slots, "type": row["label"], "type_description": type_description(row["label"])}


class PerTypeFillTask(PerTypeTask):
    """``--per-type`` step 2: rows ``{id, base_id, masked, label}``; one ``masked`` row each."""

    name = "masked_per_type"
    template_source = ("datagen.masked", "masked_per_type")
    response_model = PerTypeResponse
    est_completion_tokens = 3 * 12 + 10

    def __init__(self, lang: str, *, k: int, model: str, context: bool = False) -> None:
        super().__init__(lang, context=context)
        self.k, self.model = k, model
        self.prompt_templates = (
            load_template("datagen.masked", "mask_slot").text,
            self.template.text,
        )

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(**self.type_slots(row), k=self.k)

    def parse(self, row, response, logprobs):
        stated = [(c.word, c.prob) for c in response.candidates]
        measured = candidate_logprobs(response.candidates, logprobs)
        fills = (
            [(w, math.exp(lp)) for (w, _), lp in zip(stated, measured, strict=True)]
            if (measured is not None)
            else stated
        )
        candidates = normalise_candidates(fills, self.k, label=row["label"])
        return [
            masked_row(
                row["base_id"], row["masked"], row["label"], candidates, self.model, self.prompt_sha
            )
        ]


MIN_PROB = 0.01


class OneWordTask(PerTypeTask):
    """A request per (sentence, type) whose answer holds one word for the blank: rows ``{id,
    base_id, masked, label}``, one ``masked`` row each (:meth:`cell`). With logprobs the
    candidates are the alternatives at the blank that pass :func:`blank_fills` (``--fill word``:
    the tokens the server lists for the word's first token; ``--fill frame``: whole words), the
    ``k`` most probable; without, the answer alone (``sampled`` counts such cells)."""

    def __init__(self, lang: str, *, k: int, model: str, context: bool = False) -> None:
        super().__init__(lang, context=context)
        self.k, self.model = k, model
        self.sampled = 0

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(**self.type_slots(row))

    def cell(self, row: dict, word: str, alternatives: dict[str, float] | None) -> list[dict]:
        """The row of the cell whose answer is ``word``; :class:`ValueError` when no fill is
        left."""
        if alternatives is None:
            self.sampled += 1
            alternatives = {word: 1.0}
        fills = blank_fills(alternatives, row["masked"], self.lang)
        if not fills:
            raise ValueError(f"no fill for the blank: {word!r} and its alternatives copy the "
                             "sentence or are no words")  # fmt: skip
        candidates = normalise_candidates(fills, self.k, label=row["label"])
        return [
            masked_row(
                row["base_id"], row["masked"], row["label"], candidates, self.model, self.prompt_sha
            )
        ]


class PerTypeWordTask(OneWordTask):
    """``--per-type --fill word``: the answer is ``{"word": ...}`` under the schema (its value
    checked: no word of the sentence, ``MASK`` included, which small models copy)."""

    name = "masked_word"
    template_source = ("datagen.masked", "masked_word")
    est_completion_tokens = 12

    def __init__(self, lang: str, *, k: int, model: str, context: bool = False) -> None:
        super().__init__(lang, k=k, model=model, context=context)
        self.response_model = word_response(lang)

    def parse(self, row, response, logprobs):
        taken = {w.casefold() for w in re.findall(r"\w+", row["masked"])}  # MASK included
        word = check_fill(response.word)
        if word.casefold() in taken:
            raise ValueError(f"{word!r} is already in the sentence; give the word for [MASK]")
        return self.cell(row, word, first_token_alternatives(word, logprobs))


class FrameAnswer(BaseModel):
    """``--fill frame``'s answer: the sentence with a word in the blank (plain text)."""

    text: str


class PerTypeFrameTask(OneWordTask):
    """``--per-type --fill frame``: the rows of one masked sentence (:meth:`for_sentence`); the
    answer is that sentence, spelt by a GBNF grammar with one free word in the blank, or with the
    word's ``start`` fixed (a continuation; :mod:`datagen.masked.frame`). An answer becomes a
    draft ``{row, word, answer, blank}``: :class:`~datagen.masked.frame_run.FrameFills` continues
    the other word starts at the blank and makes the cell (:meth:`cell`)."""

    name = "masked_frame"
    template_source = ("datagen.masked", "masked_frame")
    response_model = FrameAnswer
    json_answer = False
    est_completion_tokens = 24

    def __init__(
        self,
        lang: str,
        *,
        k: int,
        model: str,
        context: bool = False,
        masked: str = "",
        start: str = "",
    ) -> None:
        super().__init__(lang, k=k, model=model, context=context)
        self.masked, self.start = masked, start

    def for_sentence(self, masked: str, start: str = "") -> PerTypeFrameTask:
        """The task for the rows of one masked sentence (its grammar spells that sentence, and
        ``start`` at the blank when given)."""
        return PerTypeFrameTask(
            self.lang, k=self.k, model=self.model, context=self.context, masked=masked, start=start
        )

    def request_fields(self) -> dict[str, Any]:
        return {"grammar": frame_grammar(self.masked, self.lang, self.start)}

    def read_answer(self, content: str) -> BaseModel:
        return FrameAnswer(text=content)

    def parse(self, row, response, logprobs):
        word = framed_word(row["masked"], response.text, self.lang)
        if not word.startswith(self.start):
            raise ValueError(NOT_FRAMED)
        blank = read_blank(row["masked"], word, logprobs, self.lang, self.start)
        draft = {"row": row, "word": word, "answer": response.text}
        return [{**draft, "blank": None if blank is None else asdict(blank)}]


def blank_fills(alternatives: dict[str, float], masked: str, lang: str) -> list[tuple[str, float]]:
    """The alternatives that can fill the blank, each at least ``MIN_PROB`` of their total:
    whole words of the language (English: known to lemminflect's lexicon, so no word pieces
    such as ``spont``), not a word already in the sentence (``MASK`` included) and not a word of
    the prompt's type description or its start (``Extra``-verted): small models copy them."""
    words = [(w, p) for w, p in alternatives.items() if is_fill(w, masked, lang)]
    total = sum(p for _, p in words)
    return [(w, p) for w, p in words if p >= MIN_PROB * total]


def is_fill(word: str, masked: str, lang: str) -> bool:
    """Can ``word`` fill the blank of ``masked`` (see :func:`blank_fills`)?"""
    taken = {w.casefold() for w in re.findall(r"\w+", masked)}
    return (
        word.casefold() not in taken
        and not _describes_type(word)
        and re.fullmatch(WORD_PATTERNS[lang], word) is not None
        and (lang != "en" or bool(word_tags(word)))
    )


_POLE_NAMES = tuple(name.casefold() for name in POLE_NAMES.values())


def _describes_type(word: str) -> bool:
    """A pole name of the type description (``thinking``) or its start of 4+ letters."""
    word = word.casefold()
    return len(word) >= 4 and any(name.startswith(word) for name in _POLE_NAMES)


def spell(logprobs: list[dict]) -> tuple[str, list[int]]:
    """The answer spelt by the logprob tokens, and where each token starts in it."""
    content, starts = "", []
    for item in logprobs:
        starts.append(len(content))
        content += item.get("token", "")
    return content, starts


def first_token_alternatives(word: str, logprobs: list[dict] | None) -> dict[str, float] | None:
    """``{word: probability}`` from the ``top_logprobs`` of the token where the ``"word"`` value
    starts: the chosen token stands for the whole ``word``, every other token for its own text
    (from the same position in the token on). ``None`` without usable logprobs. llama.cpp lists
    alternatives before its grammar masks them: whatever is no word is dropped by the caller."""
    if not logprobs:
        return None
    content, starts = spell(logprobs)
    match = _WORD_VALUE.search(content)
    if match is None or json.loads(f'"{match.group(1)}"') != word:
        return None
    start = match.start(1)
    index = max(i for i, s in enumerate(starts) if s <= start)
    chosen = logprobs[index]
    offset = start - starts[index]
    out: dict[str, float] = {}
    for alt in chosen.get("top_logprobs") or []:
        token = alt.get("token", "")
        if token[:offset] != chosen["token"][:offset]:
            continue
        piece = word if token == chosen["token"] else token[offset:].strip().strip('"')
        if piece:
            out[piece] = out.get(piece, 0.0) + math.exp(float(alt.get("logprob", -math.inf)))
    if word not in out:
        out[word] = math.exp(float(chosen.get("logprob", 0.0)))
    return out


def candidate_logprobs(candidates, logprobs: list[dict] | None) -> list[float] | None:
    """Log-probability of each candidate's word: the sum of the logprobs of the tokens that
    spell its ``"word"`` value in the answer. ``None`` when the server sent no usable logprobs
    (then the probabilities the model stated are used)."""
    if not logprobs:
        return None
    content, starts = spell(logprobs)
    spans = [m.span(1) for m in _WORD_VALUE.finditer(content)]
    if len(spans) != len(candidates):
        return None
    out = []
    for (start, end), candidate in zip(spans, candidates, strict=True):
        if json.loads(f'"{content[start:end]}"') != candidate.word:
            return None
        out.append(
            sum(
                float(item.get("logprob", 0.0))
                for item, tok_start in zip(logprobs, starts, strict=True)
                if tok_start < end and tok_start + len(item.get("token", "")) > start
            )
        )
    return out


def masked_row(
    base_id: str, masked: str, label: str, candidates: list[dict], model: str, prompt_sha: str
) -> dict[str, Any]:
    """One row of the ``masked`` data set."""
    return {
        "id": f"{base_id}-{label}",
        "base_id": base_id,
        "text": masked,
        "label": label,
        "target": candidates[0]["word"],
        "candidates": candidates,
        "backend": BACKEND,
        "model": model,
        "prompt_sha": prompt_sha,
    }
