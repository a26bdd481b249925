"""Real-data check (not a test): AugSBERT on STS-B English with 10 % of train as gold.

    nice -n 10 python bench/stsb_augsbert.py OUT_DIR [--gold-share 0.1] [--test-n 1379]

Reads /work/shared/data/stsb_en (tab-separated, no header, first 7 fields), writes gold/test as
JSONL and runs ``augment silver --pairs --eval`` (MiniLM cross-encoder teacher, MiniLM
bi-encoder student); the report holds Spearman for untuned / gold-only / gold+silver.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from pathlib import Path

DATA = Path("/work/shared/data/stsb_en")


def read_sts(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for i, rec in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)):
            rows.append({"id": f"{path.stem}-{i}", "sentence1": rec[5], "sentence2": rec[6],
                         "score": float(rec[4])})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--gold-share", type=float, default=0.1)
    ap.add_argument("--test-n", type=int, default=1379)
    ap.add_argument("--top-k", type=int, default=3)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train = read_sts(DATA / "sts-train.csv")
    random.Random(0).shuffle(train)
    gold = train[: round(len(train) * args.gold_share)]
    test = read_sts(DATA / "sts-test.csv")[: args.test_n]
    for name, rows in (("gold.jsonl", gold), ("test.jsonl", test)):
        (args.out / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [bin_dir / "augment", "silver", args.out / "gold.jsonl", "--pairs", "--scale", "0,5",
         "--top-k", str(args.top_k), "--eval", args.out / "test.jsonl",
         "--out", args.out / "augsbert", "--overwrite"],
        check=True,
    )  # fmt: skip
    print((args.out / "augsbert" / "report.md").read_text())


if __name__ == "__main__":
    main()
