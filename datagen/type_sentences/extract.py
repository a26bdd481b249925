"""Articles -> labelled, cleaned, type-masked sentences (the phase-1 ``type_sentences`` rows)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tqdm import tqdm

from datagen.type_sentences.clean import FilterConfig, SentenceFilter
from datagen.type_sentences.split import split_sentences
from schemas.text import detect_lang

LangOption = Literal["auto", "en", "ko"]


@dataclass
class SentenceResult:
    rows: list[dict[str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    languages: set[str] = field(default_factory=set)
    """The language codes (en, ko) of the articles whose sentences were kept."""


def sentence_id(article_id: str, text: str) -> str:
    digest = hashlib.sha256(f"{article_id}\n{text}".encode()).hexdigest()
    return f"sen-{digest[:16]}"


def extract_type_sentences(
    articles: Iterable[Mapping[str, Any]],
    config: FilterConfig,
    lang: LangOption = "auto",
    total: int | None = None,
    progress: bool = False,
) -> SentenceResult:
    """Split every labelled article, clean its sentences and keep the good ones.

    Articles without a label are skipped (phase 1 needs labels) and counted.
    """
    result = SentenceResult()
    keep = SentenceFilter(config)
    counts = result.counts
    bar = tqdm(articles, total=total, desc="sentences", unit="article", disable=not progress)
    for article in bar:
        counts["articles"] += 1
        if not article.get("label"):
            counts["skipped_unlabelled_articles"] += 1
            continue
        article_lang = detect_lang(article["text"]) if lang == "auto" else lang
        counts[f"articles_{article_lang}"] += 1
        for raw in split_sentences(article["text"], article_lang):
            counts["sentences_split"] += 1
            verdict = keep(raw, article_lang)
            if verdict.text is not None:
                result.languages.add(article_lang)
                result.rows.append(
                    {
                        "id": sentence_id(article["id"], verdict.text),
                        "text": verdict.text,
                        "label": article["label"],
                        "article_id": article["id"],
                    }
                )
    counts.update(keep.counts)
    counts["sentences"] = counts.pop("kept", 0)
    return result
