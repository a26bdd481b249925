"""Classification mode of ``augment silver``: gold posts + an unlabelled pool -> gold plus
confident silver rows, per-class accounting and a held-out precision estimate (the engine; the
command and its output are :mod:`augment.silver`)."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import datasets
import numpy as np

from augment.downstream import (
    STUDENTS,
    PairedResult,
    embed_student_check,
    read_eval,
    train_student_check,
)
from augment.embeddings import embed_cached
from augment.options import SilverBase
from augment.precision import (
    MIN_SUPPORT,
    ClassCutoff,
    PrecisionEstimate,
    estimate_precision,
    oof_proba,
)
from augment.search import INDEX_HELP, check_index
from augment.selection import Selection, cap_growth, choose, find_candidates, parse_targets
from augment.teachers import default_teacher, make_teacher
from schemas.errors import InputError
from schemas.io import read_table, to_dataset
from schemas.labels import LabelSet, get_label_set
from schemas.options import option
from schemas.text import exact_key
from schemas.type_mentions import mask_type_mentions


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
    label_set: str = option("mbti", help="'mbti' or 'any' (whatever labels gold has).")
    target: str = option(
        "max", help="'max' (largest class), a per-class count N, or growth like 3x."
    )
    target_dist: Path | None = option(None, help="JSON {label: weight}: the wanted distribution.")
    max_growth: float | None = option(
        None,
        help="A class grows to at most this many times its gold count (default 1.5, or the "
        "--target growth when larger; 0: no cap): silver precision falls as a class takes more.",
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
        None, help="Keep a candidate only if the teacher's top probability >= this."
    )
    min_precision: float | None = option(
        None, help="Per class, the lowest cut-off whose held-out precision reaches this."
    )
    author_pooling: bool = option(
        True, help="Average the teacher over each pool author's posts (needs --author-col)."
    )
    near_dup: float = option(0.95, help="Cosine at/above which texts are near-duplicates.")
    folds: int = option(5, help="Folds of the held-out precision estimate (0: skip).")
    index: str = option("exact", help=INDEX_HELP)
    mask: bool = option(True, help="Mask MBTI type mentions in gold and pool texts.")
    cache: bool = option(True, help="Reuse pool/gold embeddings between runs (user cache).")
    eval_student: str = option(
        "embed",
        help="--eval student: 'embed' (logistic regression on frozen embeddings) or 'train' "
        "(the embedder fine-tuned by train's trainer; slow on CPU).",
    )
    eval_max_steps: int | None = option(
        None,
        help="--eval-student train: optimiser steps of each run, as train's --max-steps "
        "(default: train's 3 epochs, at least 200 steps).",
    )

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0.0 < self.threshold <= 1.0:
            raise InputError(f"--threshold must be in (0, 1], got {self.threshold:g}")
        if self.min_precision is not None and not 0.0 < self.min_precision < 1.0:
            raise InputError(f"--min-precision must be in (0, 1), got {self.min_precision:g}")
        if self.min_precision is not None and self.folds < 2:
            raise InputError("--min-precision needs --folds >= 2 (the held-out estimate)")
        if self.eval_student not in STUDENTS:
            raise InputError(
                f"--eval-student must be one of {', '.join(STUDENTS)}, got {self.eval_student!r}"
            )
        if self.max_growth is not None and self.max_growth != 0 and self.max_growth < 1:
            raise InputError(f"--max-growth must be >= 1 (or 0: no cap), got {self.max_growth:g}")
        if self.eval_max_steps is not None:
            if self.eval_student != "train":
                raise InputError("--eval-max-steps needs --eval-student train")
            if self.eval_max_steps < 1:
                raise InputError(f"--eval-max-steps must be >= 1, got {self.eval_max_steps}")
        self.index = check_index(self.index)
        super().__post_init__()
        if self.label_set not in ("mbti", "any"):
            raise InputError(f"--label-set must be 'mbti' or 'any', got {self.label_set!r}")


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


class StageClock:
    """Wall seconds per stage: ``lap(name)`` closes the stage that ran since the last lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 2)
        self._last = now


@dataclass
class MaskCounts:
    rows: int = 0
    mentions: int = 0


@dataclass
class BalanceResult:
    dataset: datasets.Dataset
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    targets: dict[str, int]
    selection: Selection
    precision: PrecisionEstimate | None
    dropped: Counter
    downstream: PairedResult | None = None
    pooled_authors: int = 0
    masked: dict[str, MaskCounts] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    teacher_name: str = ""
    embedder_name: str = ""
    pool_size: int = 0
    #: targets before ``--max-growth`` capped them, and the cap used (``inf``: none)
    requested: dict[str, int] = field(default_factory=dict)
    max_growth: float = math.inf
    #: wall seconds of each stage (encode, search, teacher, ...), in order
    seconds: dict[str, float] = field(default_factory=dict)

    def class_estimates(self) -> dict[str, ClassCutoff]:
        """Held-out precision / yield of each silver class at the confidence of the last
        silver row it took (its effective cut-off)."""
        if self.precision is None:
            return {}
        sel = self.selection
        out = {}
        for lab in dict.fromkeys(sel.labels):
            lowest = float(sel.scores[[i for i, x in enumerate(sel.labels) if x == lab]].min())
            out[lab] = self.precision.at_cutoff(lab, lowest)
        return out


def _mask_all(texts: list[str], enabled: bool) -> tuple[list[str], MaskCounts, list[int]]:
    counts, per_row, out = MaskCounts(), [], []
    for text in texts:
        res = mask_type_mentions(text) if enabled else None
        n = res.n_masked if res else 0
        out.append(res.text if res else text)
        per_row.append(n)
        counts.rows += int(n > 0)
        counts.mentions += n
    return out, counts, per_row


def load_gold(cfg: BalanceConfig) -> tuple[datasets.Dataset, list[str], LabelSet]:
    """Read and check gold: non-empty texts, known labels, at least two classes."""
    columns = {"text": cfg.text_col, "label": cfg.label_col}
    ds = read_table(cfg.gold, columns=columns, required=["text", "label"])
    known = get_label_set("mbti") if cfg.label_set == "mbti" else None
    labels = []
    for row, (text, label) in enumerate(zip(ds["text"], ds["label"], strict=True), start=1):
        if not isinstance(text, str) or not text.strip():
            raise InputError("empty or missing text", file=cfg.gold, row=row, field=cfg.text_col)
        if known is not None:
            try:
                label = known.parse(label)
            except InputError as err:
                raise err.at(file=cfg.gold, row=row, field=cfg.label_col) from None
        elif not isinstance(label, str | int) or str(label).strip() == "":
            raise InputError("missing label", file=cfg.gold, row=row, field=cfg.label_col)
        labels.append(str(label).strip())
    present = sorted(set(labels))
    if len(present) < 2:
        raise InputError(
            f"gold has one class only ({present[0]}): silver selection needs at least two",
            file=cfg.gold,
        )
    label_set = known or get_label_set(present)
    return ds, labels, label_set


def load_pool(cfg: BalanceConfig) -> datasets.Dataset:
    return read_table(cfg.pool, columns={"text": cfg.pool_text_col}, required=["text"])


def pool_by_group(probs: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Per group, the renormalised geometric mean of its rows' probabilities (for the axis
    teacher: the mean axis log-odds over an author's posts; MBTI type precision 0.12 -> 0.30)."""
    logp = np.log(np.clip(probs, 1e-6, 1.0))
    _, group, size = np.unique(np.asarray(groups, dtype=str), return_inverse=True,
                               return_counts=True)  # fmt: skip
    total = np.zeros((len(size), logp.shape[1]))
    np.add.at(total, group, logp)  # one pass: O(rows), not O(rows x groups)
    out = (total / size[:, None])[group]
    out = np.exp(out - out.max(axis=1, keepdims=True))
    out /= out.sum(axis=1, keepdims=True)
    return np.where(probs.sum(axis=1, keepdims=True) > 0, out, 0.0).astype(np.float32)


def _authors(ds: datasets.Dataset, col: str) -> list[str] | None:
    if col not in ds.column_names or any(a is None or str(a) == "" for a in ds[col]):
        return None
    return [str(a) for a in ds[col]]


def balance(cfg: BalanceConfig) -> BalanceResult:
    """Run search, teacher and selection; return gold + silver as a ``posts`` data set."""
    clock = StageClock()
    gold, labels, label_set = load_gold(cfg)
    pool = load_pool(cfg)
    present = [lab for lab in label_set.labels if lab in set(labels)]
    test = read_eval(cfg.eval_file, cfg.text_col, cfg.label_col, present) if cfg.eval_file else None
    counts = {lab: labels.count(lab) for lab in present}
    requested = parse_targets(cfg.target, cfg.target_dist, counts, label_set)
    max_growth = growth_cap(cfg)
    targets = cap_growth(requested, counts, max_growth)
    needy = [lab for lab in present if targets[lab] > counts[lab]]
    teacher_spec = default_teacher(present) if cfg.teacher == "auto" else cfg.teacher

    def new_teacher():
        return make_teacher(
            teacher_spec, present, seed=cfg.seed, embedder=cfg.embedder, llm_labels=cfg.llm_labels
        )

    new_teacher()  # a bad --teacher fails before any encoding

    gold_texts, gold_mask, _ = _mask_all(list(gold["text"]), cfg.mask)
    raw_pool = [t if isinstance(t, str) else "" for t in pool["text"]]
    usable = [i for i, t in enumerate(raw_pool) if t.strip()]
    pool_texts, pool_mask, pool_masked_per_row = _mask_all([raw_pool[i] for i in usable], cfg.mask)
    dropped = Counter(
        {"blank pool text": len(raw_pool) - len(usable)} if len(usable) < len(raw_pool) else {}
    )
    if not usable:
        raise InputError("pool has no non-blank texts", file=cfg.pool)

    def encode(texts: list[str]) -> np.ndarray:
        return embed_cached(
            texts,
            cfg.embedder,
            batch_size=cfg.batch_size,
            cache=cfg.cache,
            show_progress=cfg.progress,
        )

    clock.lap("read + mask")
    gold_emb, pool_emb = encode(gold_texts), encode(pool_texts)
    clock.lap("encode")
    gold_keys = [exact_key(t) for t in gold_texts]
    pool_keys = [exact_key(t) for t in pool_texts]
    col = {lab: i for i, lab in enumerate(present)}
    y = np.array([col[lab] for lab in labels])
    gold_authors = _authors(gold, cfg.author_col)
    pool_authors_all = _authors(pool, cfg.author_col) if cfg.author_pooling else None
    pool_authors = [pool_authors_all[i] for i in usable] if pool_authors_all else None

    cands = find_candidates(
        gold_emb, labels, set(gold_keys), pool_emb, pool_keys, needy,
        top_k=cfg.neighbours(), near_dup=cfg.near_dup, index=cfg.index, seed=cfg.seed,
    )  # fmt: skip
    dropped.update(cands.dropped)
    if needy and not len(cands.pool_ids):
        raise InputError(
            "no pool text left after de-duplication against gold and within the pool "
            f"({', '.join(f'{why}: {n}' for why, n in sorted(dropped.items()) if n)})",
            file=cfg.pool,
        )
    clock.lap("search + de-duplication")
    teacher = new_teacher().fit(gold_emb, gold_texts, y)
    if pool_authors is not None:
        probs = teacher.predict_proba(pool_emb, pool_texts)
        probs = pool_by_group(probs, pool_authors)[cands.pool_ids]
    else:
        ids = cands.pool_ids
        probs = teacher.predict_proba(pool_emb[ids], [pool_texts[i] for i in ids])

    clock.lap("teacher")
    precision = None
    if cfg.folds >= 2 and needy:
        folds = min(cfg.folds, len(labels))
        oof = oof_proba(
            new_teacher, gold_emb, gold_texts, y, folds=folds, seed=cfg.seed, groups=gold_authors
        )
        if pool_authors is not None and gold_authors is not None:
            oof = pool_by_group(oof, gold_authors)
        precision = estimate_precision(
            oof, y, present, needy, threshold=cfg.threshold or 0.0, folds=folds
        )
    cutoffs = {lab: cfg.threshold or 0.0 for lab in needy}
    notes: dict[str, str] = {}
    if cfg.min_precision is not None and precision is not None:
        for lab in needy:
            cut = precision.cutoff_for(lab, cfg.min_precision)
            if cut.cutoff is None:
                cutoffs[lab] = math.inf
                best = "n/a" if cut.best_precision is None else f"{cut.best_precision:.2f}"
                notes[lab] = (
                    f"held-out precision of {lab} stays below {cfg.min_precision:g} at every "
                    f"cut-off (best {best} with >= {MIN_SUPPORT} held-out rows)"
                )
            else:
                cutoffs[lab] = max(cutoffs[lab], cut.cutoff)
                notes[lab] = f"held-out precision {cut.precision:.2f} at p >= {cut.cutoff:.3f}"
    clock.lap("precision estimate")
    sel = choose(cands, probs, present, counts, targets, cutoffs, equal_quota=cfg.equal_quota)
    for lab, note in notes.items():
        sel.per_class[lab].cutoff_note = note

    downstream = None
    if test is not None:
        silver_rows = cands.pool_ids[sel.positions]
        test_texts = _mask_all(test[0], cfg.mask)[0]
        seeds = range(cfg.seed, cfg.seed + cfg.eval_seeds)
        if cfg.eval_student == "train":
            downstream = train_student_check(
                (gold_texts, labels), ([pool_texts[i] for i in silver_rows], sel.labels),
                (test_texts, test[1]), present, seeds,
                embedder=cfg.embedder, progress=cfg.progress, max_steps=cfg.eval_max_steps,
            )  # fmt: skip
        else:
            downstream = embed_student_check(
                gold_emb, y, pool_emb[silver_rows], np.array([col[lab] for lab in sel.labels], int),
                encode(test_texts), np.array([col[lab] for lab in test[1]]), seeds=seeds,
            )  # fmt: skip

    clock.lap("selection + downstream check")
    rows = _gold_rows(gold, gold_texts, labels)
    pool_ids = pool["id"] if "id" in pool.column_names else None
    authors = pool[cfg.author_col] if cfg.author_col in pool.column_names else None
    silver_mask = MaskCounts()
    for pos, lab, score, query in zip(
        sel.positions, sel.labels, sel.scores, sel.query_rows, strict=True
    ):
        p = int(cands.pool_ids[pos])
        src = usable[p]
        pid = str(pool_ids[src]) if pool_ids is not None else f"pool-{src + 1}"
        silver_mask.rows += int(pool_masked_per_row[p] > 0)
        silver_mask.mentions += pool_masked_per_row[p]
        rows.append(
            {
                "id": f"silver-{pid}",
                "text": pool_texts[p],
                "label": lab,
                "author": str(authors[src]) if authors is not None else None,
                "is_silver": True,
                "silver_score": float(score),
                "silver_query_id": rows[int(query)]["id"],
            }
        )
    after = Counter(counts)
    after.update(sel.labels)
    return BalanceResult(
        dataset=to_dataset(rows, "posts"),
        counts_before=counts,
        counts_after={lab: after[lab] for lab in present},
        targets=targets,
        selection=sel,
        precision=precision,
        dropped=dropped,
        downstream=downstream,
        pooled_authors=len(set(pool_authors)) if pool_authors else 0,
        masked={"gold": gold_mask, "pool": pool_mask, "silver": silver_mask},
        absent=[lab for lab in label_set.labels if lab not in counts] if label_set.has_axes else [],
        teacher_name=teacher.name,
        embedder_name=cfg.embedder or "bundled:all-MiniLM-L6-v2",
        pool_size=len(raw_pool),
        requested=requested,
        max_growth=max_growth,
        seconds=clock.seconds,
    )


def _gold_rows(gold: datasets.Dataset, texts: list[str], labels: list[str]) -> list[dict]:
    ids = gold["id"] if "id" in gold.column_names else None
    authors = gold["author"] if "author" in gold.column_names else None
    return [
        {
            "id": str(ids[i]) if ids is not None else f"gold-{i + 1}",
            "text": texts[i],
            "label": labels[i],
            "author": str(authors[i]) if authors is not None and authors[i] is not None else None,
            "is_silver": False,
            "silver_score": None,
            "silver_query_id": None,
        }
        for i in range(len(texts))
    ]
