"""Small real data sets on disk for the augment tests (built from data/sample)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _embedding_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Tests (and the CLI they start) cache embeddings under a temporary folder."""
    monkeypatch.setenv("MBTIKIT_CACHE", str(tmp_path_factory.getbasetemp() / "mbtikit-cache"))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


FOOD = [
    "I love pasta with tomato sauce.", "Pizza is my favourite dinner.",
    "We cooked soup and baked bread.", "Fresh salad with olive oil for lunch.",
    "Chocolate cake for dessert tonight.", "Grilled fish and rice again.",
    "Tried a new curry recipe with coconut milk.", "Pancakes with maple syrup on Sunday.",
    "My INFJ friend makes the best dumplings.", "Roasted vegetables and hummus for dinner.",
    "Homemade lasagna takes hours but it's worth it.", "Sushi night with the family.",
]  # fmt: skip
SPORT = [
    "I ran ten kilometres this morning.", "Our football team won the match.",
    "Swimming laps at the pool after work.", "The tennis final went to five sets.",
]  # fmt: skip
POOL = [
    "Cycling up the mountain was brutal.", "Basketball practice ran late tonight.",
    "Marathon training is going well, 30 km this week.", "My ESTJ coach made us sprint hills.",
    "Yoga and a long run to start the weekend.", "We lost the hockey game in overtime.",
    "Lifting weights at the gym three times a week.", "Scored two goals in the football match.",
    "Noodles with garlic for supper.", "Baked cookies for the neighbours.",
    "I love pasta with tomato sauce.", "The train was late again this morning.",
    "My laptop battery is dying.", "Reading a novel about space travel.",
]  # fmt: skip


@pytest.fixture
def gold_posts(tmp_path: Path) -> Path:
    """Imbalanced topical gold (12 food, 4 sport) that a teacher can separate confidently."""
    rows = [
        {"id": f"g{i}", "author": f"u{i % 3}", "text": t, "label": lab}
        for i, (t, lab) in enumerate([(t, "food") for t in FOOD] + [(t, "sport") for t in SPORT])
    ]
    return write_jsonl(tmp_path / "gold.jsonl", rows)


@pytest.fixture
def pool_posts(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "pool.jsonl", [{"id": f"q{i}", "text": t} for i, t in enumerate(POOL)]
    )


@pytest.fixture
def gold_pairs(sample_dir: Path, tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", _read(sample_dir / "sts_pairs.jsonl")[:48])


TOPICS = {
    "food": [f"We ate {a} with {b} for {c}." for a in ("pasta", "soup", "rice", "curry", "cake")
             for b in ("bread", "salad", "cheese") for c in ("dinner", "lunch")],
    "sport": [f"They played {a} before the {b} {c}." for a in ("tennis", "hockey", "football")
              for b in ("long", "hard", "late") for c in ("match", "game")],
}  # fmt: skip


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random BERT with mean pooling, saved as a sentence-transformers model: it
    searches and is fine-tuned in seconds (``--eval-student train``, pair mode's cross- and
    bi-encoders); its vocabulary is trained on :data:`TOPICS` and the sample STS sentences."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from tests.support.tiny_models import tiny_encoder

    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    sts = [r[k] for r in _read(sample / "sts_pairs.jsonl") for k in ("sentence1", "sentence2")]
    texts = [t for rows in TOPICS.values() for t in rows] + sts
    d = tmp_path_factory.mktemp("tiny-st")
    enc = Transformer(str(tiny_encoder(d / "bert", texts)))
    SentenceTransformer(modules=[enc, Pooling(enc.get_embedding_dimension())]).save(str(d / "st"))
    return str(d / "st")
