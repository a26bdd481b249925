"""Write the public data sets of ``../shared/data`` as JSONL files ``train`` reads (not for tests).

One folder per data set under OUT, each with the columns its ``train all`` command maps:

- ``corona/tweets.jsonl``: text, label (5 sentiment classes); ``train all`` makes the splits.
- ``goemotions/{train,dev,test}.jsonl``: text, labels (list of emotion names); ``--train-rows``
  caps the training rows (a fixed-seed sample) to fit a CPU budget.
- ``stsb/{train,dev,test}.jsonl``: sentence1, sentence2, score (0-5).
- ``mbti_kaggle/posts.jsonl``: text, label, author (``--posts-per-user`` posts of each user,
  URL-only and short posts dropped, users sharing a post with MbtiBench dropped);
  ``mbtibench/posts.jsonl``: the MbtiBench users' posts with their hard-label types.

Usage::

    .venv/bin/python bench/prepare_real_data.py /tmp/real --data ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from kaggle_to_mbtibench import load_kaggle, load_mbtibench, sample_posts  # noqa: E402


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{path}: {len(rows)} rows")


def corona(data: Path, out: Path) -> None:
    with (data / "corona_nlp" / "Corona_NLP_test.csv").open(encoding="latin-1", newline="") as f:
        rows = [{"text": r["OriginalTweet"], "label": r["Sentiment"]} for r in csv.DictReader(f)]
    write_jsonl(out / "corona" / "tweets.jsonl", rows)


def goemotions(data: Path, out: Path, train_rows: int, seed: int) -> None:
    names = (data / "goemotions" / "labels.txt").read_text(encoding="utf-8").split()
    for split in ("train", "dev", "test"):
        rows = []
        with (data / "goemotions" / f"{split}.tsv").open(encoding="utf-8", newline="") as f:
            for text, ids, _ in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows.append({"text": text, "labels": [names[int(i)] for i in ids.split(",")]})
        if split == "train" and 0 < train_rows < len(rows):
            rows = random.Random(seed).sample(rows, train_rows)
        write_jsonl(out / "goemotions" / f"{split}.jsonl", rows)


def stsb(data: Path, out: Path) -> None:
    for split in ("train", "dev", "test"):
        rows = []
        path = data / "stsb_en" / f"sts-{split}.csv"
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            rows.append({"sentence1": cells[5], "sentence2": cells[6], "score": float(cells[4])})
        write_jsonl(out / "stsb" / f"{split}.jsonl", rows)


def mbti(data: Path, out: Path, posts_per_user: int, min_words: int, seed: int) -> None:
    bench = load_mbtibench(data / "mbtibench" / "mbtibench.jsonl")
    users, dropped = load_kaggle(data / "mbti_kaggle_head305" / "mbti_1_1.csv", bench)
    keep = ("text", "label", "author")
    rows = [{k: r[k] for k in keep} for r in sample_posts(users, posts_per_user, min_words, seed)]
    print(f"kaggle: {len(users)} users kept, {len(dropped)} dropped (posts shared with MbtiBench)")
    write_jsonl(out / "mbti_kaggle" / "posts.jsonl", rows)
    rows = [{k: r[k] for k in keep} for r in sample_posts(bench, posts_per_user, min_words, seed)]
    write_jsonl(out / "mbtibench" / "posts.jsonl", rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--goemotions-train-rows", type=int, default=0, help="0: all 43,410")
    ap.add_argument("--posts-per-user", type=int, default=12)
    ap.add_argument("--min-words", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    corona(args.data, args.out)
    goemotions(args.data, args.out, args.goemotions_train_rows, args.seed)
    stsb(args.data, args.out)
    mbti(args.data, args.out, args.posts_per_user, args.min_words, args.seed)


if __name__ == "__main__":
    main()
