"""The inputs of ``datagen label``: the label list, the pool texts and the few-shot examples.

Pool texts are masked for MBTI type mentions as ``augment silver`` masks its pool (by default),
so the labelled text is the text ``augment silver --teacher llm`` looks up; blank texts are
skipped and repeats (equal under :func:`~schemas.text.exact_key`) labelled once.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from schemas.errors import InputError
from schemas.io import read_table
from schemas.labels import MBTI, LabelSet, read_label_file
from schemas.text import exact_key
from schemas.type_mentions import mask_type_mentions


def parse_labels(labels: str | None, labels_file: Path | None) -> LabelSet:
    """``--labels "A,B,..."`` (or ``mbti``: the 16 types) or ``--labels-file`` (one a line)."""
    if (labels is None) == (labels_file is None):
        raise InputError(
            "give the labels: --labels A,B,... or --labels-file FILE (one of the two)",
            field="--labels",
        )
    if labels_file is not None:
        try:
            return read_label_file(labels_file)
        except InputError as err:
            raise InputError(
                err.message, file=err.file, row=err.row, field="--labels-file"
            ) from None
    if labels.strip().lower() == "mbti":
        return MBTI
    names = [name.strip() for name in labels.split(",") if name.strip()]
    if len(names) < 2:
        raise InputError(
            f"needs two or more labels, comma-separated; got {len(names)}", field="--labels"
        )
    try:
        return LabelSet("labels", tuple(names))
    except ValueError:
        twice = next(n for n, c in Counter(n.upper() for n in names).items() if c > 1)
        raise InputError(f"label {twice!r} listed twice", field="--labels") from None


def _text(value: object, path: Path, row: int, field: str) -> str | None:
    """The row's text; ``None`` when blank; a non-text value is an error."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(
            f"must be text, got {type(value).__name__} {value!r}", file=path, row=row, field=field
        )
    return value if value.strip() else None


def read_pool(path: Path, *, text_col: str, mask: bool) -> tuple[list[dict], dict]:
    """Rows ``{id, text}`` to label (masked with ``mask``) and what was skipped or masked."""
    ds = read_table(path, columns={"text": text_col}, required=["text"])
    ids = ds["id"] if "id" in ds.column_names else None
    rows, seen = [], set()
    info = {"pool_rows": len(ds), "blank": 0, "duplicates": 0, "masked_rows": 0}
    for i, value in enumerate(ds["text"], start=1):
        text = _text(value, path, i, text_col)
        if text is None:
            info["blank"] += 1
            continue
        if mask:
            masked = mask_type_mentions(text)
            text = masked.text
            info["masked_rows"] += masked.n_masked > 0
        key = exact_key(text)
        if key in seen:
            info["duplicates"] += 1
            continue
        seen.add(key)
        rid = ids[i - 1] if ids is not None and ids[i - 1] not in (None, "") else f"row-{i}"
        rows.append({"id": str(rid), "text": text})
    if not rows:
        raise InputError("has no non-blank texts", file=path, field=text_col)
    return rows, info


def read_examples(path: Path, labels: LabelSet, *, shots: int, seed: int, mask: bool) -> list[dict]:
    """Up to ``shots`` examples ``{text, label}`` per label, drawn with ``seed`` from a table
    with ``text`` and ``label`` columns, in a seeded shuffled order."""
    ds = read_table(path, required=["text", "label"])
    by_label: dict[str, list[dict]] = {lab: [] for lab in labels.labels}
    for i, (value, label) in enumerate(zip(ds["text"], ds["label"], strict=True), start=1):
        try:
            label = labels.parse(label if isinstance(label, str) else str(label))
        except InputError as err:
            raise err.at(file=path, row=i, field="label") from None
        text = _text(value, path, i, "text")
        if text is None:
            raise InputError("is empty", file=path, row=i, field="text")
        by_label[label].append({"text": mask_type_mentions(text).text if mask else text,
                                "label": label})  # fmt: skip
    rng = random.Random(seed)
    chosen = [e for group in by_label.values() for e in rng.sample(group, min(shots, len(group)))]
    rng.shuffle(chosen)
    return chosen
