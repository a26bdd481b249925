"""``augment pairs`` (also ``augment silver --pairs``): read gold, train the teacher, sample
and score candidate pairs, keep silver pairs that shape the score histogram, optionally check
the student, and write the ``pairs`` data set, ``manifest.json``, ``report.md`` and
``scores.png``."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from augment.pairs.fitting import cross_args
from augment.pairs.histogram import choose_balanced, explain_short_bins
from augment.pairs.options import PairConfig
from augment.pairs.reading import Pairs, read_pairs
from augment.pairs.sampling import sample_pairs
from augment.pairs.teacher import PairTeacher, teacher_trains
from schemas.io import Output, publish, to_dataset


@dataclass
class ScoredCandidates:
    """The sampled pairs, each one's source, the teacher's [0, 1] scores and those scores on
    the gold scale."""

    pairs: list[tuple[str, str]]
    sources: list[str]
    probs: np.ndarray
    scores: np.ndarray
    n_sentences: int


def score_candidates(
    teacher: PairTeacher, gold: Pairs, scale: tuple[float, float], cfg: PairConfig
) -> ScoredCandidates:
    """Sample candidate pairs over gold's sentences and let ``teacher`` score them."""
    pairs, sources, n_sentences = sample_pairs(gold, cfg)
    probs = teacher.score(pairs)
    return ScoredCandidates(
        pairs, sources, probs, scale[0] + probs * (scale[1] - scale[0]), n_sentences
    )


def output_rows(gold: Pairs, cands: ScoredCandidates, chosen: np.ndarray) -> list[dict]:
    """Gold rows as read, then the chosen silver pairs."""
    rows = [
        {**{k: gold[k][i] for k in gold}, "is_silver": False, "silver_score": None}
        for i in range(len(gold["score"]))
    ]
    rows += [
        {
            "id": f"silver-{n + 1}",
            "sentence1": cands.pairs[c][0],
            "sentence2": cands.pairs[c][1],
            "score": float(cands.scores[c]),
            "is_silver": True,
            "silver_score": float(cands.probs[c]),
        }
        for n, c in enumerate(chosen)
    ]
    return rows


def summarise(
    cfg: PairConfig,
    scale: tuple[float, float],
    n_gold: int,
    cands: ScoredCandidates,
    chosen: np.ndarray,
    per_bin: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the report and the manifest say about the run."""
    from train.engine.sentence_fit import optimiser_steps

    teacher = cfg.pair.pair_teacher
    return {
        "gold": n_gold,
        "silver": len(chosen),
        "sampled": len(cands.pairs),
        "sources": {name: cands.sources.count(name) for name in dict.fromkeys(cands.sources)},
        "sentences": cands.n_sentences,
        "scale": list(scale),
        "balance": cfg.pair.balance,
        "bins": cfg.pair.bins,
        "top_k": cfg.neighbours(),
        "teacher": teacher,
        "bi_teacher_steps": cfg.pair.bi_min_steps if teacher_trains(teacher, "bi") else None,
        "ce_steps": (
            optimiser_steps(cross_args(cfg), 2 * n_gold)
            if teacher_trains(teacher, "cross")
            else None
        ),
        "epochs": cfg.pair.epochs,
        "embedder": cfg.embedder or "bundled:all-MiniLM-L6-v2",
        "per_bin": per_bin,
    }


def evaluate(
    cfg: PairConfig,
    gold: Pairs,
    rows: list[dict],
    test: Pairs,
    scale: tuple[float, float],
    teacher: PairTeacher,
    work: Path,
) -> dict[str, Any]:
    """``--eval``: the untuned embedder, the teacher and the paired student check on ``test``."""
    from augment.pairs.evaluation import spearman_of, student_check
    from augment.search.embeddings import load_embedder

    combined = {k: [r[k] for r in rows] for k in ("sentence1", "sentence2", "score")}
    return {
        "test": str(cfg.eval_file),
        "n_test": len(test["score"]),
        "untuned": spearman_of(
            load_embedder(
                cfg.embedder, None, cfg.encoding.encode_precision, cfg.encoding.encode_backend
            ),
            test,
            cfg.batch_size,
        ),
        "teacher": teacher.spearman(test),
        **student_check(gold, combined, test, scale, cfg, work).summary(),
    }


def run_pairs(cfg: PairConfig, output: Output) -> dict[str, Any]:
    """Train the teacher, sample + score + balance silver pairs, optionally evaluate; write
    the ``pairs`` data set, ``manifest.json``, ``report.md`` and ``scores.png``."""
    from augment.pairs.report import plot_score_histograms, write_pairs_report
    from schemas.manifest import Manifest

    scale = cfg.pair.check()
    manifest = Manifest(
        "augment silver --pairs",
        inputs=[p for p in (cfg.gold, cfg.eval_file) if p],
        seed=cfg.seed,
    )
    gold = read_pairs(cfg.gold, scale)
    test = read_pairs(cfg.eval_file, scale) if cfg.eval_file else None
    gold_scores = np.asarray(gold["score"], dtype=np.float32)
    edges = np.linspace(scale[0], scale[1], cfg.pair.bins + 1)
    n_silver = cfg.pair.n_silver if cfg.pair.n_silver is not None else len(gold_scores)
    with tempfile.TemporaryDirectory(prefix="augsbert-") as work:
        teacher = PairTeacher(cfg.pair.pair_teacher, gold, scale, cfg, Path(work))
        cands = score_candidates(teacher, gold, scale, cfg)
        chosen, per_bin = choose_balanced(
            gold_scores, cands.scores, edges, cfg.pair.balance, n_silver, cfg.seed
        )
        explain_short_bins(per_bin, cands.scores, gold_scores, edges, cands.sources)
        rows = output_rows(gold, cands, chosen)
        summary = summarise(cfg, scale, len(gold_scores), cands, chosen, per_bin)
        if test is not None:
            summary["eval"] = evaluate(cfg, gold, rows, test, scale, teacher, Path(work))
    output.dataset(to_dataset(rows, "pairs"))
    plot_score_histograms(gold_scores, cands.scores[chosen], edges, output.dir / "scores.png")
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
    cfg.say(f"{summary['gold']} gold + {summary['silver']} silver pairs -> {cfg.out}")
