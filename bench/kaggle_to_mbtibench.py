"""Real-data study: ``train all --task mbti`` trained on the Kaggle MBTI head, evaluated per
author on MbtiBench (never used by tests).

Training data: ``mbti_kaggle_head305`` (305 PersonalityCafe users, self-reported types, posts
joined by ``|||``). Posts are split, URL-only and very short posts dropped, and
``--posts-per-user`` posts per user sampled (fixed seed); the 5 users whose posts also appear
in MbtiBench (matched on normalised post text) are dropped so the figures do not leak. The
Kaggle users are split train/dev by ``train all`` (dev: cut-offs, early stopping); the test
set is MbtiBench (286 users, annotators' hard labels, up to ``--bench-posts-per-user`` posts
each), judged per author. Every arm of ``train all`` runs on the same splits per seed:
majority, TF-IDF, the frozen encoder, plain fine-tuning and, with the phase-1/2 data, phases
1+3 and the full recipe, at ``--fractions`` of the training users (the low-data curve).

Usage (the phase-1/2 data of ``make demo``)::

    nice -n 10 .venv/bin/python bench/kaggle_to_mbtibench.py \\
        --type-sentences demo_out/type_sentences --masked demo_out/masked --out /tmp/kaggle
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas.labels import AXIS_NAMES, MBTI  # noqa: E402
from train.engine.args import TrainArgs  # noqa: E402

DATA = Path("/work/shared/data")
KAGGLE = DATA / "mbti_kaggle_head305" / "mbti_1_1.csv"
MBTIBENCH = DATA / "mbtibench" / "mbtibench.jsonl"
URL = re.compile(r"https?://\S+")


def normalise(text: str) -> str:
    """Lower-case letters and digits only, single spaces: the overlap key."""
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", text.lower())).strip()


def clean_post(text: str) -> str:
    return re.sub(r"\s+", " ", URL.sub(" ", text)).strip(" '\"")


def load_mbtibench(path: Path = MBTIBENCH) -> list[dict]:
    """MbtiBench users: id, posts, the hard-label type (e.g. ``ISTJ``)."""
    users = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        label = "".join(row["hardlabels"][axis] for axis in AXIS_NAMES)
        users.append({"id": f"mb{row['id']}", "posts": row["posts"], "label": MBTI.parse(label)})
    return users


def load_kaggle(path: Path, bench_users: list[dict]) -> tuple[list[dict], list[int]]:
    """Kaggle users (row number, type, posts) minus those sharing a post with MbtiBench."""
    csv.field_size_limit(1 << 30)
    bench_posts = {normalise(p) for u in bench_users for p in u["posts"]}
    bench_posts = {p for p in bench_posts if len(p) > 30}
    users, dropped = [], []
    with path.open(encoding="utf-8", newline="") as f:
        for i, (label, joined) in enumerate(csv.reader(f)):
            posts = joined.split("|||")
            if any(normalise(p) in bench_posts for p in posts):
                dropped.append(i)
                continue
            users.append({"id": f"kg{i}", "posts": posts, "label": MBTI.parse(label)})
    return users, dropped


def sample_posts(users: list[dict], per_user: int, min_words: int, seed: int) -> list[dict]:
    """``per_user`` cleaned posts of at least ``min_words`` words per user, as post rows."""
    rng = random.Random(seed)
    rows = []
    for user in users:
        posts = [clean_post(p) for p in user["posts"]]
        posts = [p for p in posts if len(p.split()) >= min_words]
        for j, text in enumerate(rng.sample(posts, min(per_user, len(posts)))):
            rows.append(
                {
                    "id": f"{user['id']}-{j}",
                    "author": user["id"],
                    "text": text,
                    "label": user["label"],
                    "is_silver": False,
                }
            )
    return rows


def write_tables(out: Path, posts_per_user: int, bench_posts_per_user: int, min_words: int):
    """The Kaggle training posts and the MbtiBench test posts as JSONL tables in ``out``."""
    bench_users = load_mbtibench()
    kaggle_users, dropped = load_kaggle(KAGGLE, bench_users)
    tables = {
        "kaggle_posts.jsonl": sample_posts(kaggle_users, posts_per_user, min_words, seed=0),
        "mbtibench_posts.jsonl": sample_posts(bench_users, bench_posts_per_user, 1, seed=0),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (out / name).write_text(text, encoding="utf-8")
    print(
        f"{len(kaggle_users)} Kaggle users ({len(dropped)} dropped: posts also in MbtiBench), "
        f"{len(tables['kaggle_posts.jsonl'])} posts; {len(bench_users)} MbtiBench users, "
        f"{len(tables['mbtibench_posts.jsonl'])} posts",
        file=sys.stderr,
    )
    return out / "kaggle_posts.jsonl", out / "mbtibench_posts.jsonl"


def option_choices(name: str) -> tuple[str, ...]:
    """The choices that ``TrainArgs`` declares for option ``name``."""
    (field,) = [f for f in dataclasses.fields(TrainArgs) if f.name == name]
    return field.metadata["choices"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--type-sentences", type=Path, default=None, help="phase-1 data")
    p.add_argument("--masked", type=Path, default=None, help="phase-2 data")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--posts-per-user", type=int, default=6)
    p.add_argument("--bench-posts-per-user", type=int, default=6)
    p.add_argument("--min-words", type=int, default=5)
    p.add_argument("--dev-users", default="0.15")
    p.add_argument("--fractions", default="0.1,0.3,1")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--seed", type=int, help="the first seed (default 0): seeds N .. N+seeds-1")
    p.add_argument("--max-length", type=int, default=64)
    # the training options below default to train all's own (TrainArgs) when not given
    p.add_argument("--epochs", type=float)
    p.add_argument("--min-steps", type=int)
    p.add_argument("--lr", type=float, help="the encoder's peak rate")
    p.add_argument("--freeze-encoder-steps", type=int)
    p.add_argument("--head-warmup-epochs", type=float)
    p.add_argument("--head-lr", type=float, help="the new head's peak rate")
    p.add_argument("--head", choices=option_choices("head"), help="phase 3's head")
    p.add_argument("--resume", action="store_true", help="continue an interrupted study")
    opts = p.parse_args()
    from train.engine.logs import configure
    from train.study.config import StudyConfig
    from train.study.report import print_comparison
    from train.study.run import run_study
    from train.tasks.columns import DataOptions

    kaggle, bench = write_tables(
        opts.out / "data", opts.posts_per_user, opts.bench_posts_per_user, opts.min_words
    )
    given = ("epochs", "min_steps", "lr", "freeze_encoder_steps", "head_warmup_epochs")
    given += ("head_lr", "head", "seed")
    args = TrainArgs(
        max_length=opts.max_length,
        progress=False,
        resume=opts.resume,
        **{k: getattr(opts, k) for k in given if getattr(opts, k) is not None},
    )
    cfg = StudyConfig(
        type_sentences=opts.type_sentences,
        masked=opts.masked,
        posts=kaggle,
        out=opts.out / "study",
        seeds=opts.seeds,
        fractions=opts.fractions,
        columns=DataOptions(dev=opts.dev_users, test=str(bench)),
        args=args,
    )
    configure(args)
    started = time.time()
    _, runs = run_study(cfg)
    print_comparison(runs, "mbti")
    print(f"{(time.time() - started) / 60:.1f} min; report: {cfg.out / 'report.md'}")


if __name__ == "__main__":
    main()
