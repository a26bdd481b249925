"""Articles data sets built straight from data/sample (the `articles` contract), for the offline
backend's tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from schemas.io import to_dataset


def articles_from_markdown(root: Path, out: Path) -> Path:
    """Save ``root/<TYPE>/*.md`` as an ``articles`` data set in ``out``."""
    rows = []
    for path in sorted(root.glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        rows.append(
            {
                "id": path.stem,
                "label": path.parent.name,
                "title": text.splitlines()[0].lstrip("# "),
                "url": None,
                "source": str(path),
                "text": text,
                "fetched_at": None,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
    to_dataset(rows, "articles").save_to_disk(str(out))
    return out
