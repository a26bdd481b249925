"""The type probe in every ``masked`` manifest and report: at chance when the fills ignore the
type, far above it when they follow it (a real fake server), and folds grouped by sentence."""

from __future__ import annotations

import hashlib
import json
import random
import re

import pytest

from datagen.masked.probe import grouped_folds, type_probe
from schemas.labels import MBTI
from tests.datagen.masked.masking_fake import distinct_sentence, first_user, mask_last_word
from tests.datagen.masked.test_masked_sentences import llm_args, load, write_base
from tests.support.fake_openai import FakeOpenAI

NOISE = [f"word{i}" for i in range(40)]
POLE_WORDS = dict(zip("EISNTFJP", ("loudly", "quietly", "exactly", "ideally", "logically",
                                   "kindly", "promptly", "freely"), strict=True))  # fmt: skip


def _rng(*keys: str) -> random.Random:
    return random.Random(hashlib.sha256("|".join(keys).encode()).digest())


def ignoring_fills(sentence: str, label: str) -> list[dict]:
    """Five noise words drawn per (sentence, type): varied, but nothing to do with the type."""
    rng = _rng(sentence, label)
    return [{"word": w, "prob": rng.uniform(0.05, 1)} for w in rng.sample(NOISE, 5)]


def following_fills(sentence: str, label: str) -> list[dict]:
    """The words of the type's four poles at random weights, and a noise word."""
    rng = _rng(sentence, label)
    words = [POLE_WORDS[letter] for letter in label] + [rng.choice(NOISE)]
    return [{"word": w, "prob": rng.uniform(0.05, 1)} for w in words]


def responder(fills):
    def answer(request: dict) -> str:
        sentence = re.search(r"^Sentence: (.*)$", first_user(request), re.M).group(1)
        return json.dumps(
            {
                "masked": mask_last_word(sentence),
                "fills": {t: fills(sentence, t) for t in MBTI.labels},
            }
        )

    return answer


@pytest.mark.parametrize("fills", [ignoring_fills, following_fills])
def test_probe_is_at_chance_on_ignoring_fills_and_far_above_on_following(
    fills, tmp_path, datagen_in_process
):
    n = 20
    base = write_base(tmp_path / "base.txt", [distinct_sentence(i) for i in range(n)])
    out = tmp_path / "masked"
    with FakeOpenAI(responder(fills)) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", out, *llm_args(server, tmp_path)
        )
    assert proc.returncode == 0, proc.stderr
    _, _, manifest = load(out)
    probe = manifest["type_probe"]
    assert probe["n_sentences"] == n and probe["folds"] == 5
    assert probe["chance"] == {"axis": 0.5, "type": 0.0625}
    assert set(probe["axis_accuracy"]) == set(MBTI.axis_names)
    if fills is ignoring_fills:
        assert probe["mean_axis_accuracy"] < 0.6 and probe["type_accuracy"] < 3 / 16
        assert max(probe["axis_accuracy"].values()) < 0.62
    else:
        assert probe["mean_axis_accuracy"] > 0.9 and probe["type_accuracy"] > 0.8
    assert probe["distinct_top_fills_per_sentence"] > 1
    report = (out / "report.md").read_text()
    mean = f"| mean axis | {100 * probe['mean_axis_accuracy']:.1f} % | 50.0 % |"
    assert "## Type probe" in report and mean in report
    assert f"| type (of 16) | {100 * probe['type_accuracy']:.1f} % | 6.2 % |" in report


@pytest.mark.parametrize(("sentences", "folds"), [(12, 5), (3, 3)])
def test_no_sentence_is_in_both_a_train_and_a_test_fold(sentences, folds):
    groups = [f"b{i}" for i in range(sentences) for _ in MBTI.labels]
    split = grouped_folds(groups)
    assert len(split) == folds
    tested = sorted(i for _, test in split for i in test)
    assert tested == list(range(len(groups)))  # every row tested exactly once
    for train, test in split:
        assert {groups[i] for i in train}.isdisjoint(groups[i] for i in test)
        assert len(train) + len(test) == len(groups)


def test_probe_needs_two_complete_sentences():
    rows = [
        {"base_id": "b1", "label": t, "target": "x", "candidates": [{"word": "x", "prob": 1.0}]}
        for t in MBTI.labels
    ]
    partial = [{**r, "base_id": "b2"} for r in rows[:15]]
    probe = type_probe(rows + partial)
    assert probe["n_sentences"] == 1 and probe["folds"] == 0
    assert probe["type_accuracy"] is None and probe["distinct_top_fills_per_sentence"] == 1
