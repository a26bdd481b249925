"""Scale of ``augment silver`` (not a test): wall time end to end for growing pools, each run
with a cold embedding cache, and the manifest's seconds per stage.

    python bench/silver_scale.py OUT_DIR [--pools 2000,10000,80000] [--gold 2000]

Gold: ``--gold`` posts of 2/3 of the Kaggle MBTI head's users (author column kept). Pool: the
other users' posts, the gold users' other posts, then GoEmotions (train, dev, test), the Corona
tweets and the STS-B sentences, in that order, de-duplicated, cut to each size: an 80,000-text
pool needs texts beyond the Kaggle head's ~13,600 posts. Defaults otherwise (axis teacher, 5
folds, exact search). Each run gets its own empty ``MBTIKIT_CACHE``: encoding is timed each
time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from silver_real import kaggle_users  # bench/ is the script's folder

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _other_texts(data: Path) -> list[str]:
    texts = []
    for split in ("train", "dev", "test"):
        with open(data / f"goemotions/{split}.tsv", encoding="utf-8") as fh:
            texts += [line.split("\t", 1)[0] for line in fh]
    with open(data / "corona_nlp/Corona_NLP_test.csv", encoding="latin-1") as fh:
        texts += [r["OriginalTweet"] for r in csv.DictReader(fh)]
    for split in ("train", "dev", "test"):
        with open(data / f"stsb_en/sts-{split}.csv", encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                texts += parts[5:7] if len(parts) >= 7 else []
    return texts


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--pools", default="2000,10000,80000")
    ap.add_argument("--gold", type=int, default=2000)
    ap.add_argument("--silver-args", default="", help="more augment silver options")
    ap.add_argument("--data", type=Path, default=DATA, help="the public data sets")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    users = kaggle_users(args.data)
    order = np.random.default_rng(0).permutation(len(users))
    n_gold_users = round(len(users) * 2 / 3)
    gold = [
        {"id": f"u{u}-{k}", "author": f"u{u}", "text": t, "label": users[u][0]}
        for u in order[:n_gold_users]
        for k, t in enumerate(users[u][1])
    ]
    gold = [gold[i] for i in np.random.default_rng(1).permutation(len(gold))[: args.gold]]
    taken = {r["id"] for r in gold}
    pool_rows = [
        {"id": f"u{u}-{k}", "author": f"u{u}", "text": t}
        for u in (*order[n_gold_users:], *order[:n_gold_users])
        for k, t in enumerate(users[u][1])
        if f"u{u}-{k}" not in taken
    ]
    seen = {r["text"] for r in pool_rows} | {r["text"] for r in gold}
    for n, text in enumerate(_other_texts(args.data)):
        if text.strip() and text not in seen:
            seen.add(text)
            pool_rows.append({"id": f"x{n}", "author": f"x{n}", "text": text})
    gold_file = _write(args.out / "gold.jsonl", gold)
    print(f"gold {len(gold)} posts; texts available for the pool: {len(pool_rows)}", flush=True)
    for size in (int(s) for s in args.pools.split(",")):
        pool_file = _write(args.out / f"pool{size}.jsonl", pool_rows[:size])
        out = args.out / f"out{size}"
        with tempfile.TemporaryDirectory(prefix="mbtikit-cache-") as cache:
            env = {**os.environ, "MBTIKIT_CACHE": cache}
            cmd = [sys.executable, "-m", "augment", "silver", str(gold_file), "--pool",
                   str(pool_file), "--out", str(out), "--overwrite", "--no-progress",
                   *args.silver_args.split()]  # fmt: skip
            start = time.perf_counter()
            subprocess.run(cmd, check=True, env=env)
            wall = time.perf_counter() - start
        manifest = json.loads((out / "manifest.json").read_text())
        print(
            json.dumps(
                {
                    "pool": size,
                    "wall_s": round(wall, 1),
                    "stages_s": manifest["stage_seconds"],
                    "silver": manifest["counts"]["silver"],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
