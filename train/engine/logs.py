"""How loud ``train`` is (:class:`schemas.console.ConsoleOptions`): ``-q`` (errors only), the
default (warnings and one line per notable event) or ``-v`` (library info and the Trainer's raw
loss dicts); without bars (``--no-progress``, ``-q``, or stderr not a terminal) no progress bar
is drawn at all: Trainer, model loading and saving, data set maps, ``train all``."""

from __future__ import annotations

import ast
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

import datasets
from transformers.trainer_callback import PrinterCallback, ProgressCallback
from transformers.utils import logging as hf_logging

from schemas.console import ConsoleOptions

LOG = logging.getLogger("mbtikit")


def configure(args: ConsoleOptions) -> None:
    """Set the log levels and progress bars from a command's console options (a
    :class:`~train.engine.args.TrainArgs`, ``train predict``'s or ``train serve``'s)."""
    level = logging.ERROR if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOG.addHandler(handler)
        LOG.propagate = False
    LOG.setLevel(level)
    hf_level = logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    hf_logging.set_verbosity(hf_level)
    datasets.logging.set_verbosity(hf_level)
    if args.progress:
        hf_logging.enable_progress_bar()
        datasets.enable_progress_bars()
    else:
        hf_logging.disable_progress_bar()
        datasets.disable_progress_bars()


def verbose() -> bool:
    return LOG.isEnabledFor(logging.DEBUG)


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' load report (MISSING/UNEXPECTED keys, tied-weight notices) and
    sentence-transformers' notices (e.g. "Converting SentenceTransformer model ... to
    CrossEncoder") unless ``-v``: loading an encoder under a new head is expected, and said in
    one line instead."""
    if verbose():
        yield
        return
    before = hf_logging.get_verbosity()
    st_logger = logging.getLogger("sentence_transformers")
    st_before = st_logger.level
    hf_logging.set_verbosity_error()
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hf_logging.set_verbosity(before)
        st_logger.setLevel(st_before)


@contextlib.contextmanager
def no_progress_bars() -> Iterator[None]:
    """No progress bars from transformers (the "Loading weights" bar) or datasets (``Map``
    bars) within the block: bars for a second's work, drawn even under ``--no-progress``.
    Both settings come back as they were."""
    loading_was_on = hf_logging.is_progress_bar_enabled()
    maps_were_on = datasets.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if loading_was_on:
            hf_logging.enable_progress_bar()
        if maps_were_on:
            datasets.enable_progress_bars()


MISSING_KEYS = "There were missing keys in the checkpoint model loaded: "


class TiedKeysFilter(logging.Filter):
    """Drops the Trainer's "missing keys" warning on loading the best checkpoint when every
    missing key is a tied weight (e.g. phase 2's MLM decoder, tied to the input embeddings):
    a tied weight is saved once, under the name it is tied to, and comes back with it."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        seen: set[int] = set()
        self.tied: set[str] = set()
        for name, param in model.named_parameters(remove_duplicate=False):
            if id(param) in seen:
                self.tied.add(name)
            seen.add(id(param))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(MISSING_KEYS):
            return True
        try:
            missing = ast.literal_eval(message[len(MISSING_KEYS) :].rstrip("."))
        except (ValueError, SyntaxError):
            return True
        return not (missing and set(missing) <= self.tied)


@contextlib.contextmanager
def quiet_tied_keys(model: Any) -> Iterator[None]:
    """Within the block, no "missing keys" warning for ``model``'s tied weights (unless
    ``-v``)."""
    if verbose():
        yield
        return
    logger = logging.getLogger("transformers.trainer")
    keys = TiedKeysFilter(model)
    logger.addFilter(keys)
    try:
        yield
    finally:
        logger.removeFilter(keys)


class SilentLogProgress(ProgressCallback):
    """Progress bars without the loss dicts they print under the bar."""

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        return None


def trainer_callbacks(trainer: Any) -> None:
    """Without ``-v``, the Trainer prints no raw ``{'loss': ...}`` dicts (bars stay)."""
    if verbose():
        return
    trainer.remove_callback(PrinterCallback)
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(SilentLogProgress)


def _skip_widget_examples(dataset: Any) -> None:
    """Stands in for ``set_widget_examples``: gathers nothing."""


def no_widget_examples(model: Any) -> Any:
    """``model`` whose model card gathers no widget examples when a sentence-transformers
    trainer is built: that step draws a "Computing widget examples" bar even with
    ``--no-progress``. The card's ``generate_widget_examples = False`` is not enough:
    sentence-transformers 6.2 checks it for usage snippets only."""
    model.model_card_data.generate_widget_examples = False
    model.model_card_data.set_widget_examples = _skip_widget_examples
    return model
