"""The Korean sample (``data/sample``): the masked sentences and the text a Korean WordPiece
vocabulary is trained on (articles, type sentences, posts, and every masked sentence filled
with each of its candidate words)."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.records import MASK

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
MASKED = SAMPLE / "ko_masked.jsonl"
TYPE_SENTENCES = SAMPLE / "ko_type_sentences.jsonl"
POSTS = SAMPLE / "ko_posts.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def korean_masked() -> list[dict]:
    return read_jsonl(MASKED)


def korean_corpus() -> list[str]:
    articles = [p.read_text(encoding="utf-8") for p in sorted((SAMPLE / "ko").glob("*/*.md"))]
    lines = [line for text in articles for line in text.splitlines() if line.strip()]
    rows = read_jsonl(TYPE_SENTENCES) + read_jsonl(POSTS)
    filled = [
        row["text"].replace(MASK, cand["word"])
        for row in korean_masked()
        for cand in row["candidates"]
    ]
    return lines + [row["text"] for row in rows] + filled
