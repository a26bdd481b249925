"""The LLM requests of the generation commands, as :class:`~datagen.llm.task.LLMTask`s.

- :class:`BaseSentencesTask`: one request per batch of everyday utterances.
- :class:`MaskedAllTypesTask`: one request per base sentence: the masked sentence and the
  candidate fills of all 16 types.
- :class:`MaskSlotTask` + :class:`PerTypeFillTask` (``--per-type``): first the slot of each
  sentence, then one request per (sentence, type); with logprobs, the candidates' probabilities
  come from the tokens the model generated for them.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from datagen.generation_schemas import (
    BaseSentencesResponse,
    MaskedAllTypesResponse,
    MaskSlotResponse,
    PerTypeResponse,
    check_masked,
    normalise_candidates,
)
from datagen.languages import language_name
from datagen.llm.task import LLMTask
from datagen.prompt_templates import load_template
from schemas.labels import MBTI

BACKEND = "openai-compatible"
TOPICS = (
    "weekend plans and free time",
    "household chores and tidying up",
    "friends and social invitations",
    "disagreements and conflict",
    "work, deadlines and colleagues",
    "money, shopping and saving",
    "travel and holidays",
    "school, learning and hobbies",
    "family and relationships",
    "surprises and sudden changes of plan",
)
_POLES = {
    "E": "Extraverted", "I": "Introverted", "S": "Sensing", "N": "Intuitive",
    "T": "Thinking", "F": "Feeling", "J": "Judging", "P": "Perceiving",
}  # fmt: skip
_WORD_VALUE = re.compile(r'"word"\s*:\s*"((?:[^"\\]|\\.)*)"')


def type_description(label: str) -> str:
    """``INFJ`` -> ``Introverted, Intuitive, Feeling, Judging``."""
    return ", ".join(_POLES[letter] for letter in MBTI.letters(label))


class _Templated(LLMTask):
    template_name: str = ""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.template = load_template(self.template_name)
        self.prompt_templates = (self.template.text,)


class BaseSentencesTask(_Templated):
    """Rows ``{id, batch, n}``; each answer gives up to ``n`` candidate base sentences."""

    name = "base_sentences"
    template_name = "base_sentences"
    response_model = BaseSentencesResponse

    def __init__(self, lang: str, *, min_words: int, max_words: int) -> None:
        super().__init__(lang)
        self.min_words, self.max_words = min_words, max_words
        self.est_completion_tokens = 30 * 20

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(
            n=row["n"],
            batch=row["batch"],
            topic=TOPICS[row["batch"] % len(TOPICS)],
            language=language_name(self.lang),
            min_words=self.min_words,
            max_words=self.max_words,
        )

    def parse(self, row, response, logprobs):
        texts = [" ".join(s.split()) for s in response.sentences if s and s.strip()]
        if not texts:
            raise ValueError("no sentences in the answer")
        return [{"batch_id": row["id"], "text": t} for t in texts]


class MaskedAllTypesTask(_Templated):
    """Rows are base sentences ``{id, text}``; each answer becomes 16 ``masked`` rows."""

    name = "masked_all_types"
    template_name = "masked_all_types"
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


class MaskSlotTask(_Templated):
    """``--per-type`` step 1: rows are base sentences; the answer is the masked sentence."""

    name = "mask_slot"
    template_name = "mask_slot"
    response_model = MaskSlotResponse
    est_completion_tokens = 40

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(sentence=row["text"])

    def parse(self, row, response, logprobs):
        return [{"base_id": row["id"], "masked": check_masked(row["text"], response.masked)}]


class PerTypeFillTask(_Templated):
    """``--per-type`` step 2: rows ``{id, base_id, masked, label}``; one ``masked`` row each."""

    name = "masked_per_type"
    template_name = "masked_per_type"
    response_model = PerTypeResponse
    est_completion_tokens = 3 * 12 + 10

    def __init__(self, lang: str, *, k: int, model: str) -> None:
        super().__init__(lang)
        self.k, self.model = k, model
        self.prompt_templates = (load_template("mask_slot").text, self.template.text)

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(
            type=row["label"],
            type_description=type_description(row["label"]),
            masked=row["masked"],
            k=self.k,
            language=language_name(self.lang),
        )

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


def candidate_logprobs(candidates, logprobs: list[dict] | None) -> list[float] | None:
    """Log-probability of each candidate's word: the sum of the logprobs of the tokens that
    spell its ``"word"`` value in the answer. ``None`` when the server sent no usable logprobs
    (then the probabilities the model stated are used)."""
    if not logprobs:
        return None
    content, starts = "", []
    for item in logprobs:
        starts.append(len(content))
        content += item.get("token", "")
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
