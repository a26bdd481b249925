"""A quiet CLI: loading an encoder under a new head prints one line, not transformers' load
report or its tied-weights notice; ``-v`` brings the library's messages back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.errors import InputError
from tests.train.conftest import tiny_args

ROOT = Path(__file__).resolve().parents[2]
NOISE = ("MISSING", "UNEXPECTED", "seem corrupted", "Some weights")


def test_a_new_head_is_one_line(minilm_path):
    # in a fresh process: the log handlers of other tests' in-process runs do not interfere
    code = """
import sys
from transformers import AutoModelForMaskedLM
from tests.train.conftest import tiny_args
from train.models.init import load_init
from train.engine.logs import configure, quiet_loading

configure(tiny_args())
load_init(sys.argv[1], phase=3)
with quiet_loading():  # no trained MLM head in a sentence-transformers checkpoint
    AutoModelForMaskedLM.from_pretrained(sys.argv[1])
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code, minilm_path], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert err.count("head is new") == 1, err
    assert not any(n in err for n in NOISE), err


def test_quiet_and_verbose_exclude_each_other():
    with pytest.raises(InputError, match="exclude each other"):
        tiny_args(quiet=True, verbose=True)


def test_missing_tied_keys_on_loading_the_best_checkpoint_are_not_a_warning(caplog):
    import logging

    from transformers import BertConfig, BertForMaskedLM

    from train.engine.logs import MISSING_KEYS, quiet_tied_keys

    config = BertConfig(
        vocab_size=40, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16,
    )  # fmt: skip
    model = BertForMaskedLM(config)
    logger = logging.getLogger("transformers.trainer")
    tied = ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias"]
    # whether transformers' loggers propagate depends on what ran before: listen directly
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(caplog.handler)
    try:
        level = caplog.at_level(logging.WARNING, logger="transformers.trainer")
        with level, quiet_tied_keys(model):
            logger.warning(f"{MISSING_KEYS}{tied}.")
            logger.warning(f"{MISSING_KEYS}{['bert.pooler.dense.weight']}.")
    finally:
        logger.removeHandler(caplog.handler)
        logger.propagate = propagate
    assert [r.getMessage() for r in caplog.records] == [
        f"{MISSING_KEYS}{['bert.pooler.dense.weight']}."
    ]
