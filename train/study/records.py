"""A study's run records on disk: each finished run leaves ``<dir>.run.json`` in the staging
directory, and ``--resume`` reuses it instead of training again."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from schemas.io import write_json
from train.engine.args import TrainArgs
from train.engine.distributed import main_process_writes
from train.study.results import Run


def cached(
    stage: Path, directory: Path, bar: tqdm, make: Callable[[Path], Run], args: TrainArgs
) -> Run:
    """Reuse ``<directory>.run.json`` when present (``--resume``), else run and record it
    (with ``model_dir`` relative to the study directory, which is renamed at the end); every
    process waits until the record is written, so that all see the same records."""
    record = directory.with_name(directory.name + ".run.json")
    if record.exists():
        run = Run.from_dict(json.loads(record.read_text(encoding="utf-8")))
    else:
        directory.parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        run = make(directory)
        run.seconds = round(time.time() - started, 2)
        if run.model_dir is not None:
            run.model_dir = str(Path(run.model_dir).relative_to(stage))
        with main_process_writes(args) as main:
            if main:
                write_json(record, run.to_dict(with_predictions=True))
    bar.set_postfix_str(f"seed {run.seed} {run.arm} {run.fraction:g}")
    bar.update()
    return run
