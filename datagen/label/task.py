"""The label request: one request per text, answered ``{"label": one of the labels}``.

Input rows ``{id, text}``; output records ``{id, text, label, confidence}``. The schema's
``label`` is an enum of the labels (an answer in another case is accepted and given the
label's own spelling). Template: ``label.v1.txt`` beside this module; few-shot examples, when
given, are a block in the user message.

Confidence: with the server's ``top_logprobs``, the probability of the token where the label's
value starts, renormalised over the alternatives at that token that begin one of the labels
(:func:`label_confidence`): only the first token counts, so two labels sharing it share its
mass. Without logprobs it is ``None`` here (the command writes 1.0).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model, field_validator

from datagen.prompts.template import TemplatedTask

_LABEL_VALUE = re.compile(r'"label"\s*:\s*"((?:[^"\\]|\\.)*)"')


def label_response(labels: Sequence[str]) -> type[BaseModel]:
    """``{"label": ...}`` with ``label`` an enum of ``labels`` (case-insensitive on input)."""
    canonical = {lab.casefold(): lab for lab in labels}

    def spell(value: Any) -> Any:
        return canonical.get(value.strip().casefold(), value) if isinstance(value, str) else value

    return create_model(
        "LabelResponse",
        __config__=ConfigDict(extra="forbid"),
        __validators__={"canonical": field_validator("label", mode="before")(spell)},
        label=(Literal[tuple(labels)], ...),
    )


def examples_block(examples: Sequence[dict]) -> str:
    """The few-shot part of the prompt (empty for none)."""
    if not examples:
        return ""
    shots = "\n".join(
        f"<text>\n{e['text']}\n</text>\n{json.dumps({'label': e['label']}, ensure_ascii=False)}"
        for e in examples
    )
    return f"Labelled examples:\n{shots}\n\nNow label this text."


class LabelTask(TemplatedTask):
    """Rows ``{id, text}``; each answer becomes one ``{id, text, label, confidence}`` record."""

    name = "label"
    template_source = ("datagen.label", "label")
    est_completion_tokens = 12

    def __init__(self, labels: Sequence[str], examples: Sequence[dict] = ()) -> None:
        super().__init__("")
        self.labels = tuple(labels)
        self.response_model = label_response(self.labels)
        self.examples = examples_block(examples)

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(
            labels=", ".join(self.labels), examples=self.examples, text=row["text"]
        )

    def parse(self, row, response, logprobs):
        label = response.label
        confidence = label_confidence(label, self.labels, logprobs)
        return [{"id": row["id"], "text": row["text"], "label": label, "confidence": confidence}]


def label_confidence(
    label: str, labels: Sequence[str], logprobs: list[dict] | None
) -> float | None:
    """The chosen label's share of the first-token probability mass over the labels, in
    (0, 1]; ``None`` without usable logprobs (none sent, or the ``label`` value not found in
    the tokens). A token counts for a label when, from the position where the value starts,
    its text (up to a closing quote) begins that label (case ignored)."""
    if not logprobs:
        return None
    content, starts = "", []
    for item in logprobs:
        starts.append(len(content))
        content += item.get("token", "")
    match = _LABEL_VALUE.search(content)
    if match is None:
        return None
    try:
        if json.loads(f'"{match.group(1)}"').casefold() != label.casefold():
            return None
    except ValueError:
        return None
    start = match.start(1)
    index = max(i for i, s in enumerate(starts) if s <= start)
    chosen = logprobs[index]
    token, offset = chosen.get("token", ""), start - starts[index]

    def fits(alt: str) -> set[str]:
        piece = alt[offset:].split('"')[0].casefold()
        if alt[:offset] != token[:offset] or not piece:
            return set()
        return {lab for lab in labels if lab.casefold().startswith(piece)}

    if label not in fits(token):
        return None
    alternatives = list(chosen.get("top_logprobs") or [])
    if not any(alt.get("token") == token for alt in alternatives):
        alternatives.append(chosen)
    mass = total = 0.0
    for alt in alternatives:
        fit = fits(alt.get("token", ""))
        if fit:
            p = math.exp(float(alt.get("logprob", -math.inf)))
            total += p
            mass += p if label in fit else 0.0
    if not mass > 0:
        return None
    return min(1.0, mass / total)
