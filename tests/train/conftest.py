"""Shared fixtures of the trainer tests: a tiny BERT with its own WordPiece vocabulary, toy
data sets whose labels are learnable from keywords, and phase outputs built once."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from schemas.labels import MBTI

# Two keywords per pole of each axis: a tiny model can learn the axes from them.
POLE_WORDS = {
    "E": ("party", "crowd"),
    "I": ("alone", "quiet"),
    "S": ("facts", "details"),
    "N": ("ideas", "dreams"),
    "T": ("logic", "analysis"),
    "F": ("feelings", "harmony"),
    "J": ("plans", "schedule"),
    "P": ("spontaneous", "flexible"),
}
FILLER = "today i think about my weekend and really like the city with some people".split()  # noqa: SIM905


def toy_text(label: str, rng: random.Random) -> str:
    words = [rng.choice(POLE_WORDS[letter]) for letter in label]
    words += rng.sample(FILLER, 4)
    rng.shuffle(words)
    return " ".join(words) + "."


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def toy_type_sentences(n_per_type: int = 4, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [
        {"id": f"s-{t}-{i}", "text": toy_text(t, rng), "label": t, "article_id": f"a-{t}"}
        for t in MBTI.labels
        for i in range(n_per_type)
    ]


def toy_posts(authors_per_type: int = 2, posts_per_author: int = 3, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for t in MBTI.labels:
        for a in range(authors_per_type):
            for p in range(posts_per_author):
                text = toy_text(t, rng) + (" As an INFJ I agree." if p == 0 else "")
                rows.append(
                    {
                        "id": f"p-{t}-{a}-{p}",
                        "author": f"u-{t}-{a}",
                        "text": text,
                        "label": t,
                        "is_silver": False,
                        "silver_score": None,
                    }
                )
    for i, t in enumerate(MBTI.labels[:4]):
        rows.append(
            {
                "id": f"silver-{i}",
                "author": None,
                "text": toy_text(t, rng),
                "label": t,
                "is_silver": True,
                "silver_score": 0.9,
            }
        )
    return rows


BASES = [
    "on the weekend i like [MASK] with people.",
    "after work i feel [MASK] today.",
    "my plans for the city are [MASK].",
]


def toy_masked() -> list[dict]:
    rows = []
    for b, text in enumerate(BASES):
        for t in MBTI.labels:
            w1, w2 = POLE_WORDS[t[0]]
            rows.append(
                {
                    "id": f"m-{b}-{t}",
                    "base_id": f"b{b}",
                    "text": text,
                    "label": t,
                    "target": w1,
                    "candidates": [
                        {"word": w1, "prob": 0.6},
                        {"word": w2, "prob": 0.3},
                        {"word": "zzyzxq", "prob": 0.1},
                    ],
                    "backend": "offline",
                    "model": "toy",
                    "prompt_sha": "0" * 8,
                }
            )
    return rows


@pytest.fixture(scope="session")
def toy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory with type_sentences.jsonl, posts.jsonl and masked.jsonl (toy data)."""
    d = tmp_path_factory.mktemp("toy")
    write_jsonl(d / "type_sentences.jsonl", toy_type_sentences())
    write_jsonl(d / "posts.jsonl", toy_posts())
    write_jsonl(d / "masked.jsonl", toy_masked())
    return d


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT (hidden 32, 2 layers) with a WordPiece vocabulary trained on the toy
    texts, saved like a pretrained encoder (plain ``BertModel`` + tokenizer)."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizer

    d = tmp_path_factory.mktemp("tiny-bert")
    texts = [r["text"] for r in toy_type_sentences() + toy_posts()] + BASES
    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(
        texts,
        vocab_size=300,
        min_frequency=1,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    )
    wp.save_model(str(d))
    tokenizer = BertTokenizer(vocab=wp.get_vocab(), do_lower_case=True)
    torch.manual_seed(0)
    return save_tiny_bert(d, tokenizer, vocab_size=len(tokenizer), max_positions=64)


def save_tiny_bert(directory: Path, tokenizer, *, vocab_size: int, max_positions: int) -> Path:
    """A 2-layer, 32-wide ``BertModel`` (random weights) and ``tokenizer``, saved like a
    pretrained encoder."""
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
    )
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def tiny_args(**overrides):
    from train.engine.args import TrainArgs

    base = dict(
        epochs=1,
        max_steps=3,
        batch_size=8,
        max_length=32,
        lr=1e-3,
        logging_steps=1,
        device="cpu",
        progress=False,
        warmup_ratio=0.0,
        min_steps=0,
        head_lr=None,  # the head at --lr, as the tests' learning rates were chosen
        bf16=False,  # fp32 on every CPU: exact comparisons, the same figures on every machine
    )
    base.update(overrides)
    return TrainArgs(**base)


def toy_phase3(init, splits, out: Path, **args):
    """Phase 3 from ``init`` on the toy splits with :func:`tiny_args` (``args`` override)."""
    from train.phases.phase3 import Phase3Config, run_phase3

    return run_phase3(
        Phase3Config(
            train=splits["train"],
            dev=splits["dev"],
            test=splits["test"],
            init=init,
            out=out,
            args=tiny_args(**args),
        )
    )


@pytest.fixture(scope="session")
def phase1_dir(tiny_encoder: Path, toy_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from train.phases.phase1 import Phase1Config, run_phase1

    out = tmp_path_factory.mktemp("runs") / "phase1"
    return run_phase1(
        Phase1Config(
            data=toy_dir / "type_sentences.jsonl",
            model=str(tiny_encoder),
            out=out,
            args=tiny_args(),
        )
    )


@pytest.fixture(scope="session")
def phase2_dir(phase1_dir, toy_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from train.phases.phase2 import Phase2Config, run_phase2

    out = tmp_path_factory.mktemp("runs") / "phase2"
    return run_phase2(
        Phase2Config(
            data=toy_dir / "masked.jsonl",
            init=phase1_dir.model_dir,
            out=out,
            dev_fraction=0.34,
            args=tiny_args(),
        )
    )


@pytest.fixture(scope="session")
def toy_splits(toy_dir: Path):
    from schemas.io import read_table
    from train.tasks.splits import split_posts

    return split_posts(read_table(toy_dir / "posts.jsonl"), seed=0)


@pytest.fixture(scope="session")
def phase3_dir(phase2_dir, toy_splits, tmp_path_factory: pytest.TempPathFactory):
    from train.phases.phase3 import Phase3Config, run_phase3
    from train.tasks.options import TaskOptions

    out = tmp_path_factory.mktemp("runs") / "phase3"
    return run_phase3(
        Phase3Config(
            train=toy_splits["train"],
            dev=toy_splits["dev"],
            test=toy_splits["test"],
            init=phase2_dir.model_dir,
            out=out,
            silver_weight=0.5,
            task_options=TaskOptions(thresholds="dynamic"),
            args=tiny_args(),
        )
    )
