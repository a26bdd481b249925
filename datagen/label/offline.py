"""``datagen label --backend offline``: a heuristic, not an LLM.

Each label is a point in the bundled MiniLM's embedding space: the embedding of "This text is
about <label>." (an MBTI type with its four poles spelt out: "... about INFJ: Introverted,
Intuitive, Feeling, Judging."; the sentence form beat the bare name on topic labels),
averaged with the embeddings of its few-shot examples when ``--examples`` gives some. A text
gets the label whose point is nearest (cosine); its confidence is that label's share of
``softmax(SCALE * cosine)`` over the labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from datagen.llm import RunResult, Usage
from datagen.prompts.type_names import type_description
from schemas.labels import MBTI
from schemas.models import BUNDLED_MINILM

BACKEND = "offline-embedding-similarity"
DESCRIPTION = "embedding-similarity heuristic (bundled MiniLM: text vs label names)"
SCALE = 20.0  # cosine -> logit, as sentence-transformers' contrastive losses scale it
HEURISTIC = (
    "not an LLM: each text gets the label whose sentence 'This text is about <label>.' (MBTI "
    "types with their four poles), averaged with its --examples, is nearest under the bundled "
    "MiniLM (cosine); "
    f"confidence = softmax({SCALE:g} x cosine) over the labels"
)


def label_text(label: str) -> str:
    """What stands for a label: a sentence naming it (an MBTI type with its four poles)."""
    if label in MBTI:
        label = f"{label}: {type_description(label)}"
    return f"This text is about {label}."


class EmbeddingLabeler:
    """A :class:`~datagen.generation.Generator` labelling rows ``{id, text}`` offline."""

    backend = BACKEND
    model = BUNDLED_MINILM

    def __init__(self, labels: Sequence[str], examples: Sequence[dict] = ()) -> None:
        self.labels = tuple(labels)
        self.examples = list(examples)

    def estimate(self, rows: Sequence[dict]) -> str:
        return "dry run: the offline backend sends no requests and costs nothing"

    def run(self, rows: Sequence[dict]) -> RunResult:
        from augment.search.embeddings import embed, load_embedder

        model = load_embedder(None)
        points = embed([label_text(lab) for lab in self.labels], model)
        if self.examples:
            shots = embed([e["text"] for e in self.examples], model)
            for i, lab in enumerate(self.labels):
                own = [shots[j] for j, e in enumerate(self.examples) if e["label"] == lab]
                mean = np.mean([points[i], *own], axis=0)
                points[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        logits = SCALE * (embed([r["text"] for r in rows], model) @ points.T)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        records = []
        for row, p in zip(rows, probs, strict=True):
            best = int(p.argmax())
            confidence = min(1.0, max(float(p[best]), 1e-6))
            records.append({"id": row["id"], "text": row["text"], "label": self.labels[best],
                            "confidence": confidence})  # fmt: skip
        return RunResult(records, [], Usage(model=self.model, cache=False))
