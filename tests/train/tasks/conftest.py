"""Toy data of every task, learnable from keywords, and one tiny encoder trained on all of it."""

from __future__ import annotations

import random
from pathlib import Path

import datasets
import pytest

from tests.conftest import SAMPLE
from tests.support.tiny_models import tiny_encoder as make_tiny_encoder
from tests.train.conftest import toy_posts

SENTIMENT_WORDS = {
    "positive": ("great", "lovely", "happy"),
    "negative": ("awful", "broken", "angry"),
    "neutral": ("table", "monday", "report"),
}
EMOTION_WORDS = {
    "joy": ("smile", "sunshine"),
    "anger": ("furious", "shouting"),
    "fear": ("scared", "darkness"),
    "surprise": ("suddenly", "unexpected"),
}
FILLER = "the day was long and then we went home after the meeting in town".split()  # noqa: SIM905


def _sentence(words: list[str], rng: random.Random) -> str:
    out = words + rng.sample(FILLER, 5)
    rng.shuffle(out)
    return " ".join(out) + "."


def sentiment_rows(per_label: int = 20, seed: int = 0) -> list[dict]:
    """Single-label rows (``sentiment`` column), five authors per label."""
    rng = random.Random(seed)
    return [
        {
            "id": f"s-{lab}-{i}",
            "tweet": _sentence([rng.choice(words), rng.choice(words)], rng),
            "sentiment": lab,
            "user": f"{lab}-{i % 5}",
        }
        for lab, words in SENTIMENT_WORDS.items()
        for i in range(per_label)
    ]


def emotion_rows(n: int = 80, seed: int = 0, *, as_list: bool = True) -> list[dict]:
    """Multi-label rows: one or two emotions a row (a list, or ``"a|b"``)."""
    rng = random.Random(seed)
    names = list(EMOTION_WORDS)
    rows = []
    for i in range(n):
        labels = sorted(rng.sample(names, 1 + (i % 3 == 0)))
        words = [rng.choice(EMOTION_WORDS[lab]) for lab in labels]
        rows.append(
            {
                "id": f"e{i}",
                "text": _sentence(words, rng),
                "label": labels if as_list else "|".join(labels),
            }
        )
    return rows


def sts_rows(name: str = "sts_pairs.jsonl") -> list[dict]:
    from schemas.io import read_table

    return list(read_table(SAMPLE / name))


@pytest.fixture(scope="session")
def sentiment() -> datasets.Dataset:
    return datasets.Dataset.from_list(sentiment_rows())


@pytest.fixture(scope="session")
def emotions() -> datasets.Dataset:
    return datasets.Dataset.from_list(emotion_rows())


@pytest.fixture(scope="session")
def sts() -> datasets.Dataset:
    return datasets.Dataset.from_list(sts_rows())


@pytest.fixture(scope="session")
def mbti_posts() -> datasets.Dataset:
    return datasets.Dataset.from_list(toy_posts())


@pytest.fixture(scope="session")
def task_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT whose vocabulary covers every toy text of this folder."""
    texts = [r["tweet"] for r in sentiment_rows()] + [r["text"] for r in emotion_rows()]
    texts += [r["text"] for r in toy_posts()]
    texts += [
        r[k] for r in sts_rows() + sts_rows("sts_test.jsonl") for k in ("sentence1", "sentence2")
    ]
    return make_tiny_encoder(tmp_path_factory.mktemp("task-bert"), texts, vocab_size=600)
