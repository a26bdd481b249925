"""Real-data check (not a test): balance the Kaggle MBTI head with silver posts.

    nice -n 10 python bench/mbti_silver.py OUT_DIR [--posts-per-user 6] [--threshold 0.2]

/work/shared/data/mbti_kaggle_head305/mbti_1_1.csv: one row per user (type, posts joined by
``|||``). Posts are split and URL-only/short posts dropped; users are split 2/3 gold, 1/3 pool
(the pool's labels are hidden from the command and used afterwards to measure the true silver
precision by class); a few posts per user are sampled to keep CPU time low. Type mentions are
masked by ``augment silver`` itself.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

DATA = Path("/work/shared/data/mbti_kaggle_head305/mbti_1_1.csv")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--posts-per-user", type=int, default=6)
    ap.add_argument("--threshold", type=float, default=0.2)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    users = list(csv.reader(DATA.open(encoding="utf-8")))
    rng.shuffle(users)
    gold, pool, truth = [], [], {}
    for u, (label, joined) in enumerate(users):
        posts = [p.strip().strip("'") for p in joined.split("|||")]
        posts = [p for p in posts if len(p.split()) >= 6 and not p.startswith("http")]
        for j, text in enumerate(rng.sample(posts, min(args.posts_per_user, len(posts)))):
            row = {"id": f"u{u}-{j}", "author": f"u{u}", "text": text}
            if u % 3:
                gold.append({**row, "label": label})
            else:
                pool.append(row)
                truth[f"silver-u{u}-{j}"] = label
    for name, rows in (("gold.jsonl", gold), ("pool.jsonl", pool)):
        (args.out / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [bin_dir / "augment", "silver", args.out / "gold.jsonl", "--pool", args.out / "pool.jsonl",
         "--threshold", str(args.threshold), "--folds", "3", "--out", args.out / "balanced",
         "--overwrite"],
        check=True,
    )  # fmt: skip
    import datasets

    ds = datasets.load_from_disk(str(args.out / "balanced")).filter(lambda r: r["is_silver"])
    ok, n = Counter(), Counter()
    for rid, lab in zip(ds["id"], ds["label"], strict=True):
        n[lab] += 1
        ok[lab] += int(truth[rid] == lab)
    print(f"gold {len(gold)} posts, pool {len(pool)} posts, silver {len(ds)}")
    print("true silver precision on held-out users' posts, by class:")
    for lab in sorted(n):
        print(f"  {lab}: {ok[lab]}/{n[lab]} = {ok[lab] / n[lab]:.3f}")
    total = sum(n.values())
    if total:
        print(f"  all: {sum(ok.values())}/{total} = {sum(ok.values()) / total:.3f}")


if __name__ == "__main__":
    main()
