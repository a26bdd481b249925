"""Writing a generated data set: the rows, ``failures.jsonl`` and ``manifest.json``, atomically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets

from schemas.features import FEATURES
from schemas.io import publish, to_dataset

FAILURES_FILE = "failures.jsonl"


def dataset_of(rows: Sequence[Mapping[str, Any]], kind: str) -> datasets.Dataset:
    """:func:`schemas.io.to_dataset`, also for no rows (every answer failed)."""
    if rows:
        return to_dataset(rows, kind)
    return datasets.Dataset.from_dict({k: [] for k in FEATURES[kind]}, features=FEATURES[kind])


def write_generated(
    ds: datasets.Dataset,
    failures: Sequence[Mapping[str, Any]],
    out: Path,
    *,
    manifest: Mapping[str, Any],
    overwrite: bool,
) -> None:
    """The data set (``save_to_disk`` + ``data.parquet``), every failure with its reason (one
    JSON object a line; the file exists, empty, when nothing failed) and the manifest. With no
    rows at all only the failures and the manifest are written (``datasets`` cannot load an
    empty saved data set back)."""
    with publish(out, manifest=manifest, overwrite=overwrite) as output:
        output.dataset(ds)
        output.jsonl(FAILURES_FILE, failures)
