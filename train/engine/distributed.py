"""Data-parallel runs (``torchrun``, ``accelerate launch``): every process trains, rank 0
alone writes outputs and reports, the others wait for it at a barrier.

The launchers set ``RANK``/``WORLD_SIZE``; without them (one process) every helper here is a
no-op and no process group is set up.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from train.engine.args import TrainArgs


def world_size() -> int:
    """Processes in this run (1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Whether this process writes outputs and reports (global rank 0, or the only one)."""
    return int(os.environ.get("RANK", "0")) == 0


def shows_progress(args: TrainArgs) -> bool:
    """Whether this process draws progress bars: with ``--progress``, on rank 0 only."""
    return args.progress and is_main_process()


def uses_cuda(args: TrainArgs) -> bool:
    """Whether this process trains on CUDA (``--device``, default: when available)."""
    import torch

    return args.device != "cpu" and torch.cuda.is_available()


def _state(args: TrainArgs) -> Any:
    """The process group, set up as ``TrainingArguments`` sets it up (accelerate's
    ``PartialState``: gloo on CPU), so that the Trainer later joins the same one."""
    from accelerate import PartialState

    return PartialState(cpu=not uses_cuda(args))


def barrier(args: TrainArgs) -> None:
    """Wait until every process gets here."""
    if world_size() > 1:
        _state(args).wait_for_everyone()


@contextlib.contextmanager
def main_process_first(args: TrainArgs) -> Iterator[None]:
    """Data preparation (maps, tokenisation) on rank 0 first, then on the others (as
    ``TrainingArguments.main_process_first``: a cache rank 0 fills is then reused)."""
    if world_size() == 1:
        yield
        return
    with _state(args).main_process_first():
        yield


@contextlib.contextmanager
def main_process_writes(args: TrainArgs) -> Iterator[bool]:
    """Yield whether this process writes; after the block every process waits until the
    writer is done (so the output is there for all of them)."""
    yield is_main_process()
    barrier(args)


def silence_replicas() -> None:
    """Rank 0 alone reports: the other processes' standard output is discarded (their
    errors still reach standard error)."""
    if not is_main_process():
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the process' life)
