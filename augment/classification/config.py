"""Classification mode's options (:class:`BalanceConfig`) and the growth cap they imply."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from augment.classification.downstream import STUDENTS
from augment.common.options import SilverBase
from augment.search.semantic import INDEX_HELP, check_index
from schemas.errors import InputError
from schemas.options import option


@dataclass(kw_only=True)
class BalanceConfig(SilverBase):
    """Classification mode: gold posts, the pool, the teacher and the selection cut-offs."""

    #: wide search: on tweets (2,400-text pool) silver precision at 40 rows per class was 0.47
    #: from 10 neighbours per gold post, 0.51 from 100 (the teacher, not search, picks)
    default_top_k: ClassVar[int] = 100

    pool: Path | None = option(
        None, help="Unlabelled texts to draw silver from (classification mode)."
    )
    text_col: str = option("text", help="Gold text column.")
    label_col: str = option("label", help="Gold label column.")
    pool_text_col: str = option("text", help="Pool text column.")
    author_col: str = option(
        "author", help="Author column of gold and pool: grouped folds, author pooling."
    )
    label_set: str = option(
        "mbti", help="mbti, or any (whatever labels gold has).", choices=("mbti", "any")
    )
    target: str = option(
        "max", help="'max' (largest class), a per-class count N, or growth like 3x."
    )
    target_dist: Path | None = option(None, help="JSON {label: weight}: the wanted distribution.")
    max_growth: float | None = option(
        None,
        help="A class grows to at most this many times its gold count (default 1.5, or the "
        "--target growth when larger; 0: no cap): silver precision falls as a class takes more.",
        ge=0,
    )
    equal_quota: bool = option(
        True, help="Every class gets the same share of its need (the scarcest class's share)."
    )
    teacher: str = option(
        "auto",
        help="auto (axis for MBTI, else mean:tfidf+logreg), tfidf, axis, finetune, llm, logreg, "
        "knn, mean:A+B, agree:A+B, or a fine-tuned sequence-classifier directory.",
    )
    llm_labels: Path | None = option(
        None,
        help="--teacher llm: JSONL {text, label[, confidence]} written by `datagen label`.",
    )
    threshold: float | None = option(
        None, help="Keep a candidate only if the teacher's top probability >= this.", gt=0, le=1
    )
    min_precision: float | None = option(
        None,
        help="Per class, the lowest cut-off whose held-out precision reaches this.",
        gt=0,
        lt=1,
    )
    author_pooling: bool = option(
        True, help="Average the teacher over each pool author's posts (needs --author-col)."
    )
    near_duplicate: float = option(
        0.95,
        help="Cosine at/above which texts are near-duplicates.",
        gt=0,
        le=1,
        aliases=("--near-dup",),
    )
    folds: int = option(
        5, help="Folds of the held-out precision estimate (0: skip; else at least 2).", ge=0
    )
    index: str = option("exact", help=INDEX_HELP)
    mask_types: bool = option(
        True, help="Mask MBTI type mentions in gold and pool texts.", aliases=("--mask",)
    )
    cache: bool = option(True, help="Reuse pool/gold embeddings between runs (user cache).")
    eval_student: str = option(
        "linear",
        help="--eval students: 'linear' (logistic regressions on the frozen embeddings at two "
        "strengths and on TF-IDF) or 'train' (those and the embedder fine-tuned by train's "
        "trainer; slow on CPU); 'embed' is linear's old name.",
        choices=(*STUDENTS, "embed"),
    )
    eval_max_steps: int | None = option(
        None,
        help="--eval-student train: optimiser steps of each run, as train's --max-steps "
        "(default: train's 3 epochs, at least 200 steps).",
        ge=1,
    )

    def __post_init__(self) -> None:
        if self.folds == 1:
            raise InputError("must be 0 (skip) or at least 2, got 1", field="--folds")
        if self.min_precision is not None and self.folds < 2:
            raise InputError("--min-precision needs --folds >= 2 (the held-out estimate)")
        if self.max_growth is not None and 0 < self.max_growth < 1:
            raise InputError(f"--max-growth must be >= 1 (or 0: no cap), got {self.max_growth:g}")
        if self.eval_max_steps is not None and self.eval_student != "train":
            raise InputError("--eval-max-steps needs --eval-student train")
        if self.eval_student == "embed":
            self.eval_student = "linear"
        self.index = check_index(self.index)
        super().__post_init__()


#: tweets, 40 gold per class, mean:tfidf+logreg teacher, 3 draws: silver precision 0.503 and
#: student macro-F1 +2.04 at 1.5x (20 silver rows a class); 0.495 and +2.95 at 2x; 0.37-0.43
#: at 110 rows a class
DEFAULT_MAX_GROWTH = 1.5


def growth_cap(cfg: BalanceConfig) -> float:
    """``--max-growth``: as given (0: no cap), else 1.5 or a larger ``--target Nx`` growth."""
    if cfg.max_growth is not None:
        return math.inf if cfg.max_growth == 0 else cfg.max_growth
    asked = cfg.target.strip().lower()
    if asked.endswith("x") and cfg.target_dist is None:
        try:
            return max(DEFAULT_MAX_GROWTH, float(asked[:-1]))
        except ValueError:
            pass  # parse_targets names the bad value
    return DEFAULT_MAX_GROWTH
