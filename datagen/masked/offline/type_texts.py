"""The offline backend's evidence: labelled type texts split into sentences, type names masked."""

from __future__ import annotations

import re
from pathlib import Path

from schemas.errors import InputError
from schemas.io import read_table
from schemas.labels import MBTI
from schemas.text import is_language
from schemas.type_mentions import mask_type_mentions

_SPLIT = re.compile(r"(?<=[.!?。])\s+|\n+")
MIN_CHARS = 12


def split_sentences(text: str) -> list[str]:
    """A cheap sentence split (the texts only feed word counts and a centroid)."""
    parts = (s.strip().lstrip("#").strip() for s in _SPLIT.split(text))
    return [s for s in parts if len(s) >= MIN_CHARS]


def load_type_texts(path: str | Path, lang: str) -> dict[str, list[str]]:
    """Sentences per MBTI type in ``lang`` from an ``articles`` or ``type_sentences`` data set
    (any table with ``text`` and ``label``; unlabelled rows are skipped)."""
    ds = read_table(path, required=["text", "label"])
    by_label: dict[str, list[str]] = {}
    for i, row in enumerate(ds, start=1):
        if row["label"] in (None, ""):
            continue
        try:
            label = MBTI.parse(row["label"])
        except InputError as err:
            raise err.at(file=path, row=i, field="label") from None
        if not isinstance(row["text"], str):
            raise InputError("must be text", file=path, row=i, field="text")
        masked = mask_type_mentions(row["text"]).text
        sentences = [s for s in split_sentences(masked) if is_language(s, lang)]
        by_label.setdefault(label, []).extend(sentences)
    if not any(by_label.values()):
        raise InputError(
            f"no labelled type texts in language {lang!r}; the offline backend needs the "
            "articles (or type sentences) of the types in the output language",
            file=path,
        )
    return by_label
