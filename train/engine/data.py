"""Reading and preparing each phase's data: validation and tokenising.

Every check that can fail on user data runs here, before a model is loaded or anything is
written, and raises :class:`~schemas.errors.InputError` naming the file, row and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import datasets

from schemas.errors import InputError
from schemas.io import read_table, validate_rows
from schemas.manifest import sha256_path


class Loaded(NamedTuple):
    """An input read and validated once (``train all`` hands it to every phase)."""

    dataset: datasets.Dataset
    name: str
    provenance: dict[str, Any]


def load_data(
    data: Loaded | datasets.Dataset | str | Path,
    kind: str,
    *,
    required: tuple[str, ...] = ("text",),
) -> Loaded:
    """A validated data set of ``kind``, the name used in errors, and its provenance.

    A :class:`Loaded` is returned as it is: it was validated when it was loaded. The rows are
    held in memory (see :func:`in_memory`).
    """
    if isinstance(data, Loaded):
        return data
    if isinstance(data, datasets.Dataset):
        name = f"<{kind} data set>"
        ds, prov = in_memory(data), {"source": "dataset", "fingerprint": data._fingerprint}
    else:
        name = str(data)
        ds = in_memory(read_table(data, required=required))
        prov = {"source": name, "sha256": sha256_path(data)}
    if len(ds) == 0:
        raise InputError("is empty (no rows)", file=name)
    validate_rows(ds, kind, file=name)
    prov["rows"] = len(ds)
    return Loaded(ds, name, prov)


def in_memory(ds: datasets.Dataset) -> datasets.Dataset:
    """``ds`` with its rows in memory (same fingerprint): ``datasets`` writes the cache files of
    later ``map``/``add_column`` calls beside a data set's own files, i.e. into an input folder."""
    if not ds.cache_files:
        return ds
    return ds.flatten_indices(keep_in_memory=True, new_fingerprint=ds._fingerprint)


def input_hashes(loaded: Loaded) -> dict[str, str]:
    """``{path: sha256}`` of an input read from a path, for the manifest (hashed once)."""
    prov = loaded.provenance
    return {prov["source"]: prov["sha256"]} if "sha256" in prov else {}


def authors_of(ds: datasets.Dataset) -> list[Any] | None:
    """The ``author`` column of a data set whose rows name authors (else ``None``)."""
    if "author" not in ds.column_names or not any(ds["author"]):
        return None
    return list(ds["author"])


def tokenize(
    ds: datasets.Dataset,
    tokenizer: Any,
    max_length: int,
    text_column: str = "text",
    pair_column: str | None = None,
) -> datasets.Dataset:
    """Add ``input_ids``/``attention_mask`` (+ ``token_type_ids``) and ``length`` (unpadded);
    with ``pair_column`` each row is encoded as one sentence pair (a cross-encoder input)."""

    def encode(batch: dict[str, list]) -> dict[str, list]:
        pair = batch[pair_column] if pair_column else None
        enc = tokenizer(batch[text_column], pair, truncation=True, max_length=max_length)
        enc = {k: v for k, v in enc.items() if k in MODEL_INPUTS}
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return enc

    return ds.map(encode, batched=True, desc="tokenising", keep_in_memory=True)


MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
