"""Diagnostic (not a test): does an encoder's pooled embedding, with no label input, carry the
MBTI type? One logistic regression per axis on the Kaggle posts of a
``bench/kaggle_to_mbtibench.py`` run, judged per author on its MbtiBench posts, for the bundled
MiniLM and the phase-1/phase-2 encoders that run saved for each seed.

    .venv/bin/python bench/encoder_type_probe.py /tmp/kaggle [--max-length 48]

``/tmp/kaggle`` is that bench's ``--out``: ``data/kaggle_posts.jsonl``,
``data/mbtibench_posts.jsonl`` and ``study/seed*/phase{1,2}``. Mean-pooled, L2-normalised
embeddings (type mentions masked), LR C = 1 with balanced classes, post probabilities averaged
per author, cut-off 0.5; prints per-author macro-F1 and accuracy per encoder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas.type_mentions import mask_type_mentions  # noqa: E402
from train.models.encoder import mean_pool  # noqa: E402
from train.models.init import load_init  # noqa: E402

POLES = "ESTJ"


def read_rows(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts (type mentions masked), 0/1 targets per axis, authors."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    texts = [mask_type_mentions(r["text"]).text for r in rows]
    targets = np.array([[r["label"][i] == POLES[i] for i in range(4)] for r in rows], dtype=int)
    return texts, targets, np.array([r["author"] for r in rows])


def pooled(spec: str | None, texts: list[str], max_length: int) -> np.ndarray:
    """Mean-pooled, normalised embeddings of ``texts`` by the encoder ``spec`` (None: MiniLM)."""
    import torch

    init = load_init(spec, phase=3)
    encoder, tokenizer = init.encoder.eval(), init.tokenizer
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            batch = tokenizer(texts[start : start + 64], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")  # fmt: skip
            mean = mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"])
            out.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
    return np.concatenate(out)


def per_author(train_x, train_y, test_x, test_y, authors) -> tuple[float, float]:
    """Mean over axes of per-author macro-F1 and accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    names = sorted(set(authors))
    f1s, accs = [], []
    for axis in range(4):
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
        probs = model.fit(train_x, train_y[:, axis]).predict_proba(test_x)[:, 1]
        mean = np.array([probs[authors == a].mean() for a in names])
        truth = np.array([test_y[authors == a, axis][0] for a in names])
        f1s.append(f1_score(truth, mean >= 0.5, average="macro"))
        accs.append(float(((mean >= 0.5) == truth).mean()))
    return float(np.mean(f1s)), float(np.mean(accs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="the --out of bench/kaggle_to_mbtibench.py")
    ap.add_argument("--max-length", type=int, default=48)
    opts = ap.parse_args()
    train_texts, train_y, _ = read_rows(opts.run / "data" / "kaggle_posts.jsonl")
    test_texts, test_y, authors = read_rows(opts.run / "data" / "mbtibench_posts.jsonl")
    encoders = [("bundled MiniLM", None)] + [
        (f"{d.name} {d.parent.name}", str(d))
        for d in sorted((opts.run / "study").glob("seed*/phase[12]"))
    ]
    for name, spec in encoders:
        train_x = pooled(spec, train_texts, opts.max_length)
        test_x = pooled(spec, test_texts, opts.max_length)
        f1, acc = per_author(train_x, train_y, test_x, test_y, authors)
        line = f"{name:16s} per-author macro-F1 {100 * f1:5.1f}  mean axis accuracy"
        print(f"{line} {100 * acc:5.1f}", flush=True)


if __name__ == "__main__":
    main()
