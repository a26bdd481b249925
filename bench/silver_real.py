"""Real-data check of ``augment silver`` defaults (not a test): tweets, MBTI Kaggle head and
STS-B, 3 draws each, silver precision against the hidden labels and the downstream check.

    nice python bench/silver_real.py OUT_DIR tweets|mbti|stsb [--draws 0,1,2]
        [--silver-args "--teacher finetune"]

- tweets: Corona test file, 40 gold per class, 1,200 held out (``--eval``), the rest as pool;
  defaults + ``--label-set any --target 150``.
- mbti: Kaggle head, 10 posts per user (>= 20 non-URL characters), users 2/3 gold, 1/3 pool
  (pool keeps its author column: author pooling); precision by type and by axis; downstream
  on MbtiBench (12 posts per user): per-axis logistic regressions of each ``--eval`` student
  (frozen embeddings at C = 1 and at C = 4, TF-IDF) on gold vs gold + silver (a bootstrap
  sample per seed, 3 seeds), post probabilities averaged per author, macro-F1 and accuracy per
  axis (the per-author metrics of ``train``).
- stsb: 10 % of sts-train as gold pairs, ``--pairs --eval sts-test``.

After the draws, one summary line (JSON) and one line per student: the arms' mean macro-F1,
each draw's mean gain, and their mean and sd over the draws (the draw-to-draw spread); then the
gain of the student trained once on all of gold (the user's case), per draw and on average.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

DATA = Path("/work/shared/data")


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _tweets(work: Path, draw: int) -> tuple[list[str], dict[str, str]]:
    with open(DATA / "corona_nlp/Corona_NLP_test.csv", encoding="latin-1") as fh:
        rows = list(csv.DictReader(fh))
    texts, labels = [r["OriginalTweet"] for r in rows], [r["Sentiment"] for r in rows]
    classes = sorted(set(labels))
    y = np.array([classes.index(lab) for lab in labels])
    rng = np.random.default_rng(draw)
    gold = np.concatenate(
        [rng.choice(np.nonzero(y == c)[0], 40, replace=False) for c in range(len(classes))]
    )
    rest = rng.permutation(np.setdiff1d(np.arange(len(texts)), gold))
    test, pool = rest[:1200], rest[1200:]
    row = lambda i: {"id": f"t{i}", "text": texts[i], "label": labels[i]}  # noqa: E731
    _write(work / "gold.jsonl", [row(i) for i in gold])
    _write(work / "test.jsonl", [row(i) for i in test])
    _write(work / "pool.jsonl", [{"id": f"t{i}", "text": texts[i]} for i in pool])
    args = ["--label-set", "any", "--target", "150", "--eval", str(work / "test.jsonl")]
    return args, {f"t{i}": labels[i] for i in pool}


def kaggle_users(data: Path = DATA) -> list[tuple[str, list[str]]]:
    """The Kaggle head's users with a valid type: (type, posts of >= 20 non-URL characters)."""
    csv.field_size_limit(10**8)
    users = []
    with open(data / "mbti_kaggle_head305/mbti_1_1.csv", encoding="utf-8") as fh:
        for typ, posts in csv.reader(fh):
            kept = [p.strip().strip("'").strip() for p in posts.split("|||")]
            kept = [p for p in kept if len(re.sub(r"https?://\S+", "", p).strip()) >= 20]
            if re.fullmatch(r"[EI][SN][TF][JP]", typ.upper()):
                users.append((typ.upper(), kept))
    return users


def _mbti(work: Path, draw: int) -> tuple[list[str], dict[str, str]]:
    users = [(typ, posts[:10]) for typ, posts in kaggle_users()]
    order = np.random.default_rng(draw).permutation(len(users))
    n_gold = round(len(users) * 2 / 3)
    rows = lambda ids: [  # noqa: E731
        {"id": f"u{u}-{k}", "author": f"u{u}", "text": t, "label": users[u][0]}
        for u in ids
        for k, t in enumerate(users[u][1])
    ]
    _write(work / "gold.jsonl", rows(order[:n_gold]))
    pool = rows(order[n_gold:])
    _write(work / "pool.jsonl", [{k: r[k] for k in ("id", "author", "text")} for r in pool])
    return [], {r["id"]: r["label"] for r in pool}


def _sts(split: str) -> list[dict]:
    out = []
    with open(DATA / f"stsb_en/sts-{split}.csv", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            p = line.rstrip("\n").split("\t")
            if len(p) >= 7:
                out.append({"id": f"{split}{n}", "sentence1": p[5], "sentence2": p[6],
                            "score": float(p[4])})  # fmt: skip
    return out


def _stsb(work: Path, draw: int) -> tuple[list[str], dict[str, str]]:
    train = _sts("train")
    idx = np.random.default_rng(draw).permutation(len(train))[: round(0.1 * len(train))]
    _write(work / "gold.jsonl", [train[i] for i in idx])
    _write(work / "test.jsonl", _sts("test"))
    return ["--pairs", "--eval", str(work / "test.jsonl")], {}


def _mbtibench_check(out: Path, draw: int) -> dict:
    """Gold vs gold + silver students on MbtiBench per author (mean over the four axes), for
    each student of ``augment silver --eval``: per-axis logistic regressions (balanced class
    weights) on the frozen embeddings at C = 1 and at ``WEAK_C``, and on word 1-2-gram TF-IDF
    (``frozen``, ``frozen_c4``, ``tfidf``)."""
    from datasets import load_from_disk
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    sys.path.insert(0, str(Path(__file__).parent))
    from kaggle_to_mbtibench import load_mbtibench, sample_posts

    from augment.classification.downstream import LINEAR_STUDENTS
    from augment.search.embeddings import embed_cached
    from schemas.type_mentions import mask_type_mentions

    ds = load_from_disk(str(out))
    train_texts = list(ds["text"])
    emb = embed_cached(train_texts, None)
    bits = np.array([[lab[a] in "INFP" for a in range(4)] for lab in ds["label"]], dtype=int)
    silver = np.array(ds["is_silver"])
    bench = sample_posts(load_mbtibench(DATA / "mbtibench/mbtibench.jsonl"), 12, 5, 0)
    texts = [mask_type_mentions(r["text"]).text for r in bench]
    test = embed_cached(texts, None)
    authors = np.array([r["author"] for r in bench])
    users = np.unique(authors)
    truth = {r["author"]: [r["label"][a] in "INFP" for a in range(4)] for r in bench}
    y_user = np.array([truth[u] for u in users], dtype=int)
    students: dict[str, dict[str, list[list[float]]]] = {
        name: {"gold": [], "gold+silver": []} for name in LINEAR_STUDENTS
    }
    gold_rows, silver_rows = np.nonzero(~silver)[0], np.nonzero(silver)[0]
    for seed in (None, *range(draw, draw + 3)):  # None: all of gold (the user's case)
        g, s = gold_rows, silver_rows
        if seed is not None:
            rng = np.random.default_rng(seed)
            g = g[rng.integers(0, len(g), len(g))]
            s = s[rng.integers(0, len(s), len(s))]
        for arm, rows in (("gold", g), ("gold+silver", np.r_[g, s])):
            tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
            x_tfidf = tfidf.fit_transform([train_texts[i] for i in rows])
            features = {
                "frozen": (emb[rows], test),
                "tfidf": (x_tfidf, tfidf.transform(texts)),
            }
            for name, (kind, c, _) in LINEAR_STUDENTS.items():
                x, x_test = features[kind]
                f1s, accs = [], []
                for a in range(4):
                    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
                    p = model.fit(x, bits[rows, a]).predict_proba(x_test)[:, 1]
                    pred = np.array([p[authors == u].mean() >= 0.5 for u in users], dtype=int)
                    f1s.append(100 * f1_score(y_user[:, a], pred, average="macro"))
                    accs.append(100 * float((pred == y_user[:, a]).mean()))
                students[name][arm].append([float(np.mean(f1s)), float(np.mean(accs)), *f1s])
    summary = {}
    for name, arms in students.items():
        a, b = np.array(arms["gold"]), np.array(arms["gold+silver"])
        whole, a, b = (a[0, 0], b[0, 0]), a[1:], b[1:]
        summary[name] = {
            "all_gold": [float(whole[0]), float(whole[1])],
            "all_gold_diff": float(whole[1] - whole[0]),
            "macro_f1_gold": a[:, 0].tolist(),
            "macro_f1_gold_silver": b[:, 0].tolist(),
            "diff_macro_f1": float((b[:, 0] - a[:, 0]).mean()),
            "accuracy_gold": a[:, 1].tolist(),
            "accuracy_gold_silver": b[:, 1].tolist(),
            "axis_f1_gold": a[:, 2:].mean(axis=0).round(2).tolist(),
            "axis_f1_gold_silver": b[:, 2:].mean(axis=0).round(2).tolist(),
        }
    return {"users": len(users), "students": summary}


def student_gains(results: list[dict]) -> dict[str, dict]:
    """Per student, over the draws: the mean macro-F1 of each arm, each draw's mean gain, and
    the mean and sd (draw to draw) of those gains; ``{}`` when no draw has a downstream check.
    Reads ``eval.students`` (tweets) or ``mbtibench.students`` (MBTI)."""
    per: dict[str, dict[str, list[float]]] = {}
    for result in results:
        if result.get("eval"):
            students = {
                n: (e["mean_a"], e["mean_b"], e["mean_diff"], e.get("all_gold_diff"))
                for n, e in result["eval"]["students"].items()
            }
        elif result.get("mbtibench"):
            students = {
                n: (np.mean(e["macro_f1_gold"]), np.mean(e["macro_f1_gold_silver"]),
                    e["diff_macro_f1"], e.get("all_gold_diff"))
                for n, e in result["mbtibench"]["students"].items()
            }  # fmt: skip
        else:
            continue
        for name, (a, b, d, whole) in students.items():
            row = per.setdefault(name, {"gold": [], "gold_silver": [], "diff": [], "all": []})
            row["gold"].append(float(a))
            row["gold_silver"].append(float(b))
            row["diff"].append(float(d))
            if whole is not None:
                row["all"].append(float(whole))
    return {
        name: {
            "draws": len(row["diff"]),
            "gold": float(np.mean(row["gold"])),
            "gold_silver": float(np.mean(row["gold_silver"])),
            "diff_per_draw": [round(d, 2) for d in row["diff"]],
            "mean_diff": float(np.mean(row["diff"])),
            "sd_diff": float(np.std(row["diff"], ddof=1)) if len(row["diff"]) > 1 else None,
            "all_gold_diff_per_draw": [round(d, 2) for d in row["all"]],
            "mean_all_gold_diff": float(np.mean(row["all"])) if row["all"] else None,
        }
        for name, row in per.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("data", choices=["tweets", "mbti", "stsb"])
    ap.add_argument("--draws", default="0,1,2")
    ap.add_argument("--silver-args", default="", help="more augment silver options (one string)")
    args = ap.parse_args()
    prepare = {"tweets": _tweets, "mbti": _mbti, "stsb": _stsb}[args.data]
    results = []
    for draw in (int(d) for d in args.draws.split(",")):
        work = args.out / f"{args.data}{draw}"
        work.mkdir(parents=True, exist_ok=True)
        extra, truth = prepare(work, draw)
        pool = [] if args.data == "stsb" else ["--pool", str(work / "pool.jsonl")]
        cmd = [sys.executable, "-m", "augment", "silver", str(work / "gold.jsonl"), *pool,
               "--out", str(work / "out"), "--overwrite", "--seed", str(draw), *extra,
               *shlex.split(args.silver_args)]  # fmt: skip
        subprocess.run(cmd, check=True)
        manifest = json.loads((work / "out" / "manifest.json").read_text())
        result = {"draw": draw, "eval": manifest.get("eval"), "counts": manifest["counts"]}
        if truth:
            from datasets import load_from_disk

            silver = load_from_disk(str(work / "out")).filter(lambda r: r["is_silver"])
            true = [truth[i.removeprefix("silver-")] for i in silver["id"]]
            pred = silver["label"]
            result["precision"] = float(np.mean([a == b for a, b in zip(pred, true, strict=True)]))
            if args.data == "mbti":
                result["axes"] = [
                    float(np.mean([p[a] == t[a] for p, t in zip(pred, true, strict=True)]))
                    for a in range(4)
                ]
                result["mbtibench"] = _mbtibench_check(work / "out", draw)
        print(json.dumps(result), flush=True)
        results.append(result)
    gains = student_gains(results)
    if gains:
        print(json.dumps({"summary": gains, "precision": _mean(results, "precision"),
                          "silver": _mean(results, "counts", "silver")}), flush=True)  # fmt: skip
        for name, g in gains.items():
            sd = "" if g["sd_diff"] is None else f" (sd {g['sd_diff']:.2f} over draws)"
            whole = g["mean_all_gold_diff"]
            whole = (
                ""
                if whole is None
                else (f"; all of gold {whole:+.2f}, per draw {g['all_gold_diff_per_draw']}")
            )
            print(f"{name:<10} {g['gold']:.2f} -> {g['gold_silver']:.2f}: "
                  f"{g['mean_diff']:+.2f}{sd}, per draw {g['diff_per_draw']}{whole}")  # fmt: skip


def _mean(results: list[dict], *keys: str) -> float | None:
    values = []
    for result in results:
        for key in keys:
            result = result.get(key) if isinstance(result, dict) else None
        if result is not None:
            values.append(result)
    return float(np.mean(values)) if values else None


if __name__ == "__main__":
    main()
