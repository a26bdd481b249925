"""``datasets.Features`` matching each record model, so every saved data set has one schema."""

from __future__ import annotations

from datasets import Features, List, Value

_STR = Value("string")

FEATURES: dict[str, Features] = {
    "articles": Features(
        {
            "id": _STR,
            "label": _STR,
            "title": _STR,
            "url": _STR,
            "source": _STR,
            "text": _STR,
            "fetched_at": _STR,
            "sha256": _STR,
        }
    ),
    "type_sentences": Features({"id": _STR, "text": _STR, "label": _STR, "article_id": _STR}),
    "base_sentences": Features({"id": _STR, "text": _STR, "lang": _STR}),
    "masked": Features(
        {
            "id": _STR,
            "base_id": _STR,
            "text": _STR,
            "label": _STR,
            "target": _STR,
            "candidates": List({"word": _STR, "prob": Value("float32")}),
            "backend": _STR,
            "model": _STR,
            "prompt_sha": _STR,
        }
    ),
    "posts": Features(
        {
            "id": _STR,
            "text": _STR,
            "label": _STR,
            "author": _STR,
            "is_silver": Value("bool"),
            "silver_score": Value("float32"),
            "silver_query_id": _STR,
        }
    ),
    "pairs": Features(
        {
            "id": _STR,
            "sentence1": _STR,
            "sentence2": _STR,
            "score": Value("float32"),
            "is_silver": Value("bool"),
            "silver_score": Value("float32"),
        }
    ),
}
