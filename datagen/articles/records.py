"""Build ``articles`` rows (the shared record of ingest and scrape) and find type names."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from schemas.labels import MBTI

# A four-letter type as a whole token: "INFJ", "infj-the-counselor", "types/enfp.html".
TYPE_NAME = re.compile(r"(?<![A-Za-z])([IiEe][NnSs][TtFf][JjPp])(?:'?s)?(?![A-Za-z])")


def find_type_name(texts: Iterable[str]) -> str | None:
    """The first MBTI type named in ``texts`` (checked in order), canonical upper case."""
    for text in texts:
        match = TYPE_NAME.search(text)
        if match:
            return MBTI.parse(match.group(1))
    return None


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def article_row(
    *,
    text: str,
    label: str | None,
    title: str,
    source: str,
    fetched_at: str,
    url: str | None = None,
) -> dict[str, Any]:
    """One ``articles`` row; the id is derived from the text, so it is stable across runs."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {
        "id": f"art-{digest[:16]}",
        "label": label,
        "title": title,
        "url": url,
        "source": source,
        "text": text,
        "fetched_at": fetched_at,
        "sha256": digest,
    }


def drop_duplicate_articles(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Keep the first of articles with identical text; return the rows and how many were dropped."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row["sha256"] not in seen:
            seen.add(row["sha256"])
            kept.append(row)
    return kept, len(rows) - len(kept)
