"""A quiet CLI: loading an encoder under a new head prints one line, not transformers' load
report or its tied-weights notice; ``-v`` brings the library's messages back."""

from __future__ import annotations

import pytest

from schemas.errors import InputError
from tests.train.conftest import tiny_args

NOISE = ("MISSING", "UNEXPECTED", "seem corrupted", "Some weights")


def test_a_new_head_is_one_line(capfd, minilm_path):
    from transformers import AutoModelForMaskedLM

    from train.encoders import load_init
    from train.logs import configure, quiet_loading

    configure(tiny_args())
    load_init(minilm_path, phase=3)
    with quiet_loading():  # no trained MLM head in a sentence-transformers checkpoint
        AutoModelForMaskedLM.from_pretrained(minilm_path)
    err = capfd.readouterr().err
    assert err.count("head is new") == 1, err
    assert not any(n in err for n in NOISE), err


def test_quiet_and_verbose_exclude_each_other():
    with pytest.raises(InputError, match="exclude each other"):
        tiny_args(quiet=True, verbose=True)
