"""The training options every phase command shares, defined once.

``with_train_options`` appends them to a typer command's signature and hands the command a
:class:`~train.config.TrainArgs` as ``args``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from train.config import TrainArgs

PANEL = "Training"

# name -> (type, default, help)
TRAIN_OPTIONS: dict[str, tuple[Any, Any, str]] = {
    "seed": (int, 0, "Random seed."),
    "epochs": (float, 3.0, "Training epochs."),
    "batch_size": (int, 16, "Batch size per device."),
    "lr": (float, 5e-5, "Peak learning rate (linear warm-up and decay)."),
    "max_length": (int, 128, "Truncate texts to this many tokens."),
    "warmup_ratio": (float, 0.1, "Share of steps for the learning-rate warm-up."),
    "weight_decay": (float, 0.01, "AdamW weight decay."),
    "grad_accum": (int, 1, "Gradient accumulation steps."),
    "bf16": (Optional[bool], None, "bf16 mixed precision (default: on for CUDA)."),  # noqa: UP045
    "tf32": (Optional[bool], None, "TF32 matmuls (default: on for CUDA)."),  # noqa: UP045
    "group_by_length": (bool, True, "Length-grouped batches (less padding)."),
    "early_stopping_patience": (
        Optional[int],  # noqa: UP045
        2,
        "Stop after this many evaluations without dev improvement (0: never).",
    ),
    "torch_compile": (bool, False, "Compile the model with torch.compile."),
    "resume": (bool, False, "Resume from the newest checkpoint beside --out."),
    "device": (Optional[str], None, "cpu or cuda (default: cuda when available)."),  # noqa: UP045
    "num_workers": (int, 0, "Data-loader worker processes."),
    "logging_steps": (int, 10, "Log the loss every N steps."),
    "max_steps": (int, -1, "Stop after N optimiser steps (overrides --epochs)."),
    "overwrite": (bool, False, "Replace a non-empty --out."),
    "progress": (bool, True, "Show progress bars."),
}


def _option(name: str, typ: Any, default: Any, help_text: str) -> inspect.Parameter:
    flag = "--" + name.replace("_", "-")
    decl = [f"{flag}/--no-{name.replace('_', '-')}"] if typ is bool else [flag]
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[typ, typer.Option(*decl, help=help_text, rich_help_panel=PANEL)],
    )


def with_train_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options to ``func``'s CLI; ``func`` receives them as ``args``."""
    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.name != "args"]
    shared = [_option(n, *spec) for n, spec in TRAIN_OPTIONS.items()]

    @functools.wraps(func)
    def command(**kwargs: Any) -> Any:
        values = {n: kwargs.pop(n) for n in TRAIN_OPTIONS}
        if values["early_stopping_patience"] == 0:
            values["early_stopping_patience"] = None
        return func(**kwargs, args=TrainArgs(**values))

    command.__signature__ = sig.replace(parameters=own + shared)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in own + shared}
    return command
