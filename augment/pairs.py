"""``augment pairs`` (also ``augment silver --pairs``), AugSBERT: a cross-encoder trained on
gold STS pairs labels new pairs over the gold sentences (semantic-search neighbours, BM25
neighbours and random pairs, the AugSBERT paper's sampling strategies); silver pairs are chosen
to shape the score histogram."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import typer

from augment.downstream import PairedResult
from augment.embeddings import embed, load_embedder
from augment.options import SilverBase
from augment.search import semantic_search
from schemas.errors import InputError
from schemas.io import Output, publish, read_table, to_dataset
from schemas.models import resolve_model
from schemas.options import group, option
from train.engine.args import TrainArgs

BALANCES = ("uniform", "gold")
#: 10 % of STS-B as gold, draw 0: test Spearman of the teacher bi 83.6, mean 81.4, cross 75.3
#: (a cross-encoder from MiniLM's bi-encoder weights; untuned MiniLM 82.0); the student moved
#: by +0.21 / +0.13 / -0.07
PAIR_TEACHERS = ("bi", "cross", "mean")
#: the bi-encoder teacher's rate, as ``train --pair-model bi`` (and its 200 steps at least; 10 %
#: of STS-B: 84.4 / 83.9 test Spearman vs 83.2 for the --eval student's one epoch at 2e-5)
BI_TEACHER_LR = 5e-5
#: the --eval students' rate (one --epochs pass, no step floor)
STUDENT_LR = 2e-5
SAMPLERS = ("semantic", "bm25", "random")
TRAIN_BATCH = 16
#: cross-encoder learning rate and warm-up share (one epoch at 2e-5 left every score near 0.5)
CE_LR, WARMUP = 5e-5, 0.1


@dataclass
class PairOptions:
    """What only pair mode has."""

    options_panel = "Pair mode"

    scale: str = option("0,5", help="Pair mode: score scale 'LOW,HIGH'.")
    balance: str = option("uniform", help="Pair mode: 'uniform' or 'gold' histogram.")
    bins: int = option(5, help="Pair mode: score bins for balancing.")
    n_silver: int | None = option(
        None, help="Pair mode: silver pairs to add (default: as many as gold)."
    )
    epochs: int = option(1, help="Pair mode: --eval bi-encoder epochs.")
    ce_epochs: int = option(4, help="Pair mode: cross-encoder epochs over gold (both orders).")
    ce_min_steps: int = option(400, help="Pair mode: cross-encoder optimiser steps, at least.")
    bi_min_steps: int = option(
        200, help="Pair mode: the bi-encoder teacher's optimiser steps, at least (5e-5)."
    )
    pair_teacher: str = option(
        "bi",
        help="Pair mode: who scores the candidates: bi (the embedder fine-tuned on gold), cross "
        "(a cross-encoder trained on gold), mean (both, averaged), or the name or path of a "
        "pretrained cross-encoder with one output (used as it is).",
    )
    sampling: str = option(
        "semantic,bm25,random", help="Pair mode: candidate sources (semantic, bm25, random)."
    )

    def samplers(self) -> list[str]:
        names = [s.strip() for s in self.sampling.split(",") if s.strip()]
        bad = [s for s in names if s not in SAMPLERS]
        if bad or not names:
            raise InputError(
                f"--sampling takes a comma list of {', '.join(SAMPLERS)}, got {self.sampling!r}"
            )
        return names


def fit_args(cfg: PairConfig, *, epochs: int, min_steps: int, lr: float, seed: int) -> TrainArgs:
    """The engine's settings of a pair-mode fit: batch 16, 10 % warm-up, no weight decay, the
    loss logged every 50 steps (printed with ``-v``), bars only with progress."""
    return TrainArgs(
        seed=seed,
        epochs=epochs,
        min_steps=min_steps,
        batch_size=TRAIN_BATCH,
        lr=lr,
        warmup_ratio=WARMUP,
        weight_decay=0.0,
        logging_steps=50,
        progress=cfg.progress,
    )


def bi_teacher_args(cfg: PairConfig) -> TrainArgs:
    """The bi-encoder teacher's fit: ``--epochs`` over gold, at least ``--bi-min-steps``."""
    return fit_args(
        cfg,
        epochs=cfg.pair.epochs,
        min_steps=cfg.pair.bi_min_steps,
        lr=BI_TEACHER_LR,
        seed=cfg.seed,
    )


def student_args(cfg: PairConfig, seed: int) -> TrainArgs:
    """An ``--eval`` student's fit: ``--epochs`` over its training pairs."""
    return fit_args(cfg, epochs=cfg.pair.epochs, min_steps=0, lr=STUDENT_LR, seed=seed)


def cross_args(cfg: PairConfig) -> TrainArgs:
    """The cross-encoder teacher's fit: ``--ce-epochs`` over gold in both orders, at least
    ``--ce-min-steps`` (575 STS-B pairs: 72 steps per epoch -> 400)."""
    return fit_args(
        cfg, epochs=cfg.pair.ce_epochs, min_steps=cfg.pair.ce_min_steps, lr=CE_LR, seed=cfg.seed
    )


@dataclass(kw_only=True)
class PairConfig(SilverBase):
    """``augment pairs``: STS gold pairs in, gold + balanced silver pairs out."""

    pair: PairOptions = group(PairOptions, panel="Pair mode")


def parse_scale(scale: str) -> tuple[float, float]:
    """``"0,5"`` -> ``(0.0, 5.0)``."""
    try:
        low, high = (float(x) for x in scale.split(","))
    except ValueError:
        raise InputError(f"--scale must be 'LOW,HIGH' (e.g. 0,5), got {scale!r}") from None
    if not low < high:
        raise InputError(f"--scale needs LOW < HIGH, got {scale!r}")
    return low, high


def read_pairs(path: Path, scale: tuple[float, float]) -> dict[str, list]:
    """Read STS pairs; every score must be a number inside ``scale``."""
    ds = read_table(path, required=["sentence1", "sentence2", "score"])
    out: dict[str, list] = {"id": [], "sentence1": [], "sentence2": [], "score": []}
    ids = ds["id"] if "id" in ds.column_names else None
    for row, rec in enumerate(ds, start=1):
        for name in ("sentence1", "sentence2"):
            if not isinstance(rec[name], str) or not rec[name].strip():
                raise InputError("empty or missing sentence", file=path, row=row, field=name)
        try:
            score = float(rec["score"])
        except (TypeError, ValueError):
            raise InputError(
                f"score {rec['score']!r} is not a number", file=path, row=row, field="score"
            ) from None
        if not scale[0] <= score <= scale[1]:
            raise InputError(
                f"score {score:g} is outside the declared scale {scale[0]:g}-{scale[1]:g} "
                "(set --scale)",
                file=path,
                row=row,
                field="score",
            )
        out["id"].append(str(ids[row - 1]) if ids is not None else f"pair-{row}")
        out["sentence1"].append(rec["sentence1"])
        out["sentence2"].append(rec["sentence2"])
        out["score"].append(score)
    return out


def teacher_trains(teacher: str, model: str) -> bool:
    """Whether ``--pair-teacher teacher`` trains ``model`` ("cross" or "bi") on gold."""
    return teacher in (model, "mean")


def load_cross_encoder(name: str):
    """A pretrained cross-encoder with one output named by ``--pair-teacher`` (AugSBERT's own
    teacher, where one exists for the domain); its scores are clipped to [0, 1]."""
    from transformers import AutoConfig

    from train.engine import sentence_fit

    path = resolve_model(name)
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(
            f"--pair-teacher must be one of {', '.join(PAIR_TEACHERS)} or a cross-encoder, "
            f"got {name!r} ({reason})"
        ) from None
    architectures = config.architectures or []
    if config.num_labels != 1 or not any(
        a.endswith("ForSequenceClassification") for a in architectures
    ):
        raise InputError(
            f"--pair-teacher {name!r} is not a cross-encoder with one output "
            f"(architectures {architectures}, {config.num_labels} labels)"
        )
    return sentence_fit.load_cross_encoder(path)


def train_cross_encoder(gold: dict[str, list], scale, cfg: PairConfig, work: Path):
    """A regression ``CrossEncoder`` (1 output, sigmoid) on gold pairs in both orders, a new
    head on the embedder."""
    from datasets import Dataset

    from train.engine.sentence_fit import fit_cross_encoder, load_cross_encoder

    score = [(s - scale[0]) / (scale[1] - scale[0]) for s in gold["score"]]
    pairs = Dataset.from_dict(
        {
            "sentence1": gold["sentence1"] + gold["sentence2"],
            "sentence2": gold["sentence2"] + gold["sentence1"],
            "score": score + score,
        }
    )
    model = load_cross_encoder(cfg.embedder)
    return fit_cross_encoder(model, pairs, cross_args(cfg), work / "cross-encoder")


def sample_pairs(
    gold: dict[str, list], cfg: PairConfig
) -> tuple[list[tuple[str, str]], list[str], int]:
    """Candidate pairs over the unique gold sentences from each source of ``--sampling``:
    top-k semantic neighbours (high/mid scores), top-k BM25 neighbours (mid/low) and one random
    pair per sentence (low); self pairs, gold pairs and repeats skipped. Returns the pairs,
    each pair's source and the number of sentences."""
    samplers = cfg.pair.samplers()
    sentences = sorted(set(gold["sentence1"]) | set(gold["sentence2"]))
    known = {frozenset(p) for p in zip(gold["sentence1"], gold["sentence2"], strict=True)}
    seen: set[frozenset] = set()
    out: list[tuple[str, str]] = []
    source: list[str] = []

    def add(rows: np.ndarray, name: str) -> None:
        for i, row in enumerate(rows):
            for j in row:
                key = frozenset((sentences[i], sentences[int(j)]))
                if j < 0 or j == i or len(key) < 2 or key in known or key in seen:
                    continue
                seen.add(key)
                out.append((sentences[i], sentences[int(j)]))
                source.append(name)

    if "semantic" in samplers:
        emb = embed(sentences, load_embedder(cfg.embedder), batch_size=cfg.batch_size)
        add(semantic_search(emb, emb, cfg.neighbours() + 1).ids, "semantic")
    if "bm25" in samplers:
        from augment.bm25 import bm25_neighbours

        add(bm25_neighbours(sentences, cfg.neighbours()), "bm25")
    if "random" in samplers:
        rng = np.random.default_rng(cfg.seed)
        add(rng.integers(0, len(sentences), size=(len(sentences), 1)), "random")
    return out, source, len(sentences)


def choose_balanced(
    gold_scores: np.ndarray,
    cand_scores: np.ndarray,
    edges: np.ndarray,
    balance: str,
    n_silver: int,
    seed: int,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Pick candidates per score bin so gold + silver follows ``balance`` (as far as the
    candidates allow); returns chosen candidate indices and per-bin accounting."""
    n_bins = len(edges) - 1
    gold_bin = np.clip(np.digitize(gold_scores, edges[1:-1]), 0, n_bins - 1)
    cand_bin = np.clip(np.digitize(cand_scores, edges[1:-1]), 0, n_bins - 1)
    gold_n = np.bincount(gold_bin, minlength=n_bins)
    share = np.full(n_bins, 1.0 / n_bins) if balance == "uniform" else gold_n / gold_n.sum()
    want = np.maximum(0.0, share * (len(gold_scores) + n_silver) - gold_n)
    if want.sum() > n_silver:
        want *= n_silver / want.sum()
    want = np.floor(want).astype(int)
    rng = np.random.default_rng(seed)
    chosen, per_bin = [], []
    for b in range(n_bins):
        members = np.nonzero(cand_bin == b)[0]
        take = rng.permutation(members)[: want[b]]
        chosen.extend(take.tolist())
        per_bin.append(
            {
                "range": f"{edges[b]:.2f}-{edges[b + 1]:.2f}",
                "gold": int(gold_n[b]),
                "wanted": int(want[b]),
                "silver": len(take),
                "available": len(members),
                "why_short": ""
                if len(take) >= want[b]
                else f"only {len(members)} candidate pairs scored in this bin",
            }
        )
    return np.asarray(sorted(chosen), dtype=np.int64), per_bin


def explain_short_bins(
    per_bin: list[dict[str, Any]],
    cand_scores: np.ndarray,
    gold_scores: np.ndarray,
    edges: np.ndarray,
    sources: list[str],
) -> None:
    """Say why each short bin is short: compressed cross-encoder scores, or no source of
    candidates reaching that score range."""
    spread = float(cand_scores.std()) if len(cand_scores) else 0.0
    compressed = spread < 0.5 * float(gold_scores.std())
    for b in per_bin:
        if not b["why_short"]:
            continue
        if compressed:
            b["why_short"] += (
                f"; the cross-encoder's scores are compressed (sd {spread:.2f} vs gold "
                f"{gold_scores.std():.2f}: raise --ce-min-steps)"
            )
        elif b["range"] == f"{edges[-2]:.2f}-{edges[-1]:.2f}":
            b["why_short"] += (
                "; near-paraphrase pairs are rare among recombined gold sentences (they are "
                "the gold pairs themselves): add sentences"
            )
        elif "random" not in sources:
            b["why_short"] += "; add random pairs (--sampling) for low scores"


def spearman_of(model, pairs: dict[str, list], batch_size: int) -> float:
    """Spearman x 100 between cosine similarity and gold scores."""
    from scipy.stats import spearmanr

    from train.tasks.bi_encoder import pair_cosine

    cosine = pair_cosine(model, pairs["sentence1"], pairs["sentence2"], batch_size)
    return float(spearmanr(cosine, pairs["score"]).statistic * 100)


class PairTeacher:
    """Scores pairs in [0, 1]: a cross-encoder trained on gold, the embedder fine-tuned on gold
    (cosine), the mean of both, or a pretrained cross-encoder (``--pair-teacher``)."""

    def __init__(self, kind: str, gold: dict[str, list], scale, cfg: PairConfig, work: Path):
        self.batch_size = cfg.batch_size
        if kind not in PAIR_TEACHERS:
            self.cross, self.bi = load_cross_encoder(kind), None
            return
        self.cross = (
            train_cross_encoder(gold, scale, cfg, work) if teacher_trains(kind, "cross") else None
        )
        self.bi = (
            train_bi_encoder(gold, scale, cfg, work, bi_teacher_args(cfg))
            if teacher_trains(kind, "bi")
            else None
        )

    def score(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, np.float32)
        parts = []
        if self.cross is not None:
            scores = self.cross.predict(pairs, batch_size=self.batch_size)
            parts.append(np.clip(np.asarray(scores), 0.0, 1.0))
        if self.bi is not None:
            from train.tasks.bi_encoder import pair_cosine

            cosine = pair_cosine(
                self.bi, [p[0] for p in pairs], [p[1] for p in pairs], self.batch_size
            )
            parts.append(np.clip(cosine, 0.0, 1.0))
        return np.mean(parts, axis=0).astype(np.float32)

    def spearman(self, pairs: dict[str, list]) -> float:
        """Spearman x 100 of the teacher's scores on ``pairs``: silver can only teach the
        student what the teacher knows better than it."""
        from scipy.stats import spearmanr

        scores = self.score(list(zip(pairs["sentence1"], pairs["sentence2"], strict=True)))
        return float(spearmanr(scores, pairs["score"]).statistic * 100)


def train_bi_encoder(pairs: dict[str, list], scale, cfg: PairConfig, work: Path, args: TrainArgs):
    """A fresh copy of the embedder fine-tuned on ``pairs`` (cosine) with ``args``."""
    from datasets import Dataset

    from train.engine.sentence_fit import fit_bi_encoder, load_bi_encoder

    train = Dataset.from_dict(
        {
            "sentence1": pairs["sentence1"],
            "sentence2": pairs["sentence2"],
            "score": [(s - scale[0]) / (scale[1] - scale[0]) for s in pairs["score"]],
        }
    )
    return fit_bi_encoder(load_bi_encoder(cfg.embedder), train, args, work / "bi-encoder")


def run_pairs(cfg: PairConfig, output: Output) -> dict[str, Any]:
    """Train the cross-encoder, sample + score + balance silver pairs, optionally evaluate;
    write the ``pairs`` data set, ``manifest.json``, ``report.md`` and ``scores.png``."""
    from augment.report import plot_score_histograms, write_pairs_report
    from schemas.manifest import Manifest
    from train.engine.sentence_fit import optimiser_steps

    if cfg.pair.balance not in BALANCES:
        raise InputError(
            f"--balance must be one of {', '.join(BALANCES)}, got {cfg.pair.balance!r}"
        )
    if cfg.pair.bins < 1:
        raise InputError(f"--bins must be >= 1, got {cfg.pair.bins}")
    scale = parse_scale(cfg.pair.scale)
    manifest = Manifest(
        "augment silver --pairs",
        inputs=[p for p in (cfg.gold, cfg.eval_file) if p],
        seed=cfg.seed,
    )
    gold = read_pairs(cfg.gold, scale)
    cfg.pair.samplers()
    test = read_pairs(cfg.eval_file, scale) if cfg.eval_file else None
    with tempfile.TemporaryDirectory(prefix="augsbert-") as work:
        teacher = PairTeacher(cfg.pair.pair_teacher, gold, scale, cfg, Path(work))
        candidates, sources, n_sentences = sample_pairs(gold, cfg)
        probs = teacher.score(candidates)
        cand_scores = scale[0] + probs * (scale[1] - scale[0])
        edges = np.linspace(scale[0], scale[1], cfg.pair.bins + 1)
        gold_scores = np.asarray(gold["score"], dtype=np.float32)
        n_silver = cfg.pair.n_silver if cfg.pair.n_silver is not None else len(gold_scores)
        chosen, per_bin = choose_balanced(
            gold_scores, cand_scores, edges, cfg.pair.balance, n_silver, cfg.seed
        )
        explain_short_bins(per_bin, cand_scores, gold_scores, edges, sources)
        rows = [
            {**{k: gold[k][i] for k in gold}, "is_silver": False, "silver_score": None}
            for i in range(len(gold_scores))
        ]
        rows += [
            {
                "id": f"silver-{n + 1}",
                "sentence1": candidates[c][0],
                "sentence2": candidates[c][1],
                "score": float(cand_scores[c]),
                "is_silver": True,
                "silver_score": float(probs[c]),
            }
            for n, c in enumerate(chosen)
        ]
        summary: dict[str, Any] = {
            "gold": len(gold_scores),
            "silver": len(chosen),
            "sampled": len(candidates),
            "sources": {name: sources.count(name) for name in dict.fromkeys(sources)},
            "sentences": n_sentences,
            "scale": list(scale),
            "balance": cfg.pair.balance,
            "bins": cfg.pair.bins,
            "top_k": cfg.neighbours(),
            "teacher": cfg.pair.pair_teacher,
            "bi_teacher_steps": (
                cfg.pair.bi_min_steps if teacher_trains(cfg.pair.pair_teacher, "bi") else None
            ),
            "ce_steps": (
                optimiser_steps(cross_args(cfg), 2 * len(gold_scores))
                if teacher_trains(cfg.pair.pair_teacher, "cross")
                else None
            ),
            "epochs": cfg.pair.epochs,
            "embedder": cfg.embedder or "bundled:all-MiniLM-L6-v2",
            "per_bin": per_bin,
        }
        if test is not None:
            combined = {k: [r[k] for r in rows] for k in ("sentence1", "sentence2", "score")}
            seeds = list(range(cfg.seed, cfg.seed + cfg.eval_seeds))
            arms = [
                [
                    spearman_of(
                        train_bi_encoder(data, scale, cfg, Path(work), student_args(cfg, seed)),
                        test,
                        cfg.batch_size,
                    )
                    for seed in seeds
                ]
                for data in (gold, combined)
            ]
            summary["eval"] = {
                "test": str(cfg.eval_file),
                "n_test": len(test["score"]),
                "untuned": spearman_of(load_embedder(cfg.embedder), test, cfg.batch_size),
                "teacher": teacher.spearman(test),
                **PairedResult(
                    "spearman",
                    seeds,
                    arms[0],
                    arms[1],
                    n_train_a=[len(gold["score"])] * len(seeds),
                    n_train_b=[len(combined["score"])] * len(seeds),
                ).summary(),
            }
    output.dataset(to_dataset(rows, "pairs"))
    plot_score_histograms(gold_scores, cand_scores[chosen], edges, output.dir / "scores.png")
    write_pairs_report(summary, output.dir)
    output.json(
        "manifest.json",
        manifest.finish(
            counts={"gold": summary["gold"], "silver": summary["silver"], "bins": per_bin},
            mode="pairs",
            teacher=cfg.pair.pair_teacher,
            **{
                k: summary[k]
                for k in ("scale", "balance", "embedder", "top_k", "epochs", "ce_steps", "sources")
            },
            eval=summary.get("eval"),
        ),
    )
    return summary


def command(cfg: PairConfig) -> None:
    """Add silver STS pairs scored by a teacher trained on gold (AugSBERT)."""
    with publish(cfg.out, overwrite=cfg.overwrite, push_to_hub=cfg.push_to_hub) as output:
        summary = run_pairs(cfg, output)
    typer.echo(f"{summary['gold']} gold + {summary['silver']} silver pairs -> {cfg.out}")
