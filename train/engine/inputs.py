"""How phases 1 and 2 open their input: the output directory checked, the data set loaded
and the manifest started with its hashes, before any torch-backed module is imported."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import datasets

from schemas.io import check_output_dir
from schemas.manifest import Manifest
from train.engine.args import TrainArgs
from train.engine.data import Loaded, input_hashes, load_data


class PhaseInput(Protocol):
    data: Path | None
    dataset: datasets.Dataset | Loaded | None
    out: Path
    args: TrainArgs


def open_phase_data(
    cfg: PhaseInput, command: str, kind: str, required: tuple[str, ...]
) -> tuple[Loaded, Manifest]:
    """Check that ``cfg.out`` may be written, load ``cfg.dataset`` (else the file
    ``cfg.data``) as ``kind`` with the ``required`` columns, and start ``command``'s
    manifest with the input's hashes."""
    check_output_dir(cfg.out, overwrite=cfg.args.overwrite)
    data = cfg.dataset if cfg.dataset is not None else cfg.data
    loaded = load_data(data, kind, required=required)
    manifest = Manifest(command, seed=cfg.args.seed).add(inputs=input_hashes(loaded))
    return loaded, manifest
