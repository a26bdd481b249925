"""Classification mode of ``augment silver``: gold posts + an unlabelled pool -> gold plus
confident silver rows, per-class accounting and a held-out precision estimate (the engine; the
command and its output are :mod:`augment.silver`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np

from augment.embeddings import embed, load_embedder
from augment.options import SilverBase
from augment.precision import PrecisionEstimate, estimate_precision
from augment.selection import Selection, choose, find_candidates, parse_targets
from augment.teachers import make_teacher
from schemas.errors import InputError
from schemas.io import read_table, to_dataset
from schemas.labels import LabelSet, get_label_set
from schemas.options import option
from schemas.text import exact_key
from schemas.type_mentions import mask_type_mentions


@dataclass(kw_only=True)
class BalanceConfig(SilverBase):
    """Classification mode: gold posts, the pool, the teacher and the selection cut-offs."""

    pool: Path | None = option(
        None, help="Unlabelled texts to draw silver from (classification mode)."
    )
    text_col: str = option("text", help="Gold text column.")
    label_col: str = option("label", help="Gold label column.")
    pool_text_col: str = option("text", help="Pool text column.")
    label_set: str = option("mbti", help="'mbti' or 'any' (whatever labels gold has).")
    target: str = option("max", help="'max' (largest class), or a per-class count N.")
    target_dist: Path | None = option(None, help="JSON {label: weight}: the wanted distribution.")
    teacher: str = option(
        "logreg", help="'logreg', 'knn', or a fine-tuned sequence-classifier directory."
    )
    threshold: float = option(
        0.5, help="Keep a candidate only if the teacher's top probability >= this."
    )
    near_dup: float = option(0.95, help="Cosine at/above which texts are near-duplicates.")
    folds: int = option(5, help="Folds of the held-out precision estimate (0: skip).")
    index: str = option("exact", help="'exact' or 'faiss' (needs mbtikit[faiss]).")
    mask: bool = option(True, help="Mask MBTI type mentions in gold and pool texts.")

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(f"--threshold must be in (0, 1], got {self.threshold:g}")
        super().__post_init__()
        if self.label_set not in ("mbti", "any"):
            raise InputError(f"--label-set must be 'mbti' or 'any', got {self.label_set!r}")


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
    masked: dict[str, MaskCounts] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    teacher_name: str = ""
    embedder_name: str = ""
    pool_size: int = 0


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
    ds = read_table(cfg.pool, columns={"text": cfg.pool_text_col}, required=["text"])
    return ds


def balance(cfg: BalanceConfig) -> BalanceResult:
    """Run search, teacher and selection; return gold + silver as a ``posts`` data set."""
    gold, labels, label_set = load_gold(cfg)
    pool = load_pool(cfg)
    present = [lab for lab in label_set.labels if lab in set(labels)]
    counts = {lab: labels.count(lab) for lab in present}
    targets = parse_targets(cfg.target, cfg.target_dist, counts, label_set)
    needy = [lab for lab in present if targets[lab] > counts[lab]]

    gold_texts, gold_mask, _ = _mask_all(list(gold["text"]), cfg.mask)
    raw_pool = [t if isinstance(t, str) else "" for t in pool["text"]]
    usable = [i for i, t in enumerate(raw_pool) if t.strip()]
    pool_texts, pool_mask, pool_masked_per_row = _mask_all([raw_pool[i] for i in usable], cfg.mask)
    dropped = Counter(
        {"blank pool text": len(raw_pool) - len(usable)} if len(usable) < len(raw_pool) else {}
    )
    if not usable:
        raise InputError("pool has no non-blank texts", file=cfg.pool)

    model = load_embedder(cfg.embedder)
    gold_emb = embed(gold_texts, model, batch_size=cfg.batch_size, show_progress=cfg.progress)
    pool_emb = embed(pool_texts, model, batch_size=cfg.batch_size, show_progress=cfg.progress)
    gold_keys = [exact_key(t) for t in gold_texts]
    pool_keys = [exact_key(t) for t in pool_texts]
    col = {lab: i for i, lab in enumerate(present)}
    y = np.array([col[lab] for lab in labels])

    def new_teacher():
        return make_teacher(cfg.teacher, present, seed=cfg.seed)

    teacher = new_teacher().fit(gold_emb, gold_texts, y)
    cands = find_candidates(
        gold_emb, labels, set(gold_keys), pool_emb, pool_keys, needy,
        top_k=cfg.top_k, near_dup=cfg.near_dup, index=cfg.index,
    )  # fmt: skip
    dropped.update(cands.dropped)
    probs = teacher.predict_proba(pool_emb[cands.pool_ids], [pool_texts[i] for i in cands.pool_ids])
    sel = choose(cands, probs, present, counts, targets, cfg.threshold)

    precision = None
    if cfg.folds >= 2 and needy:
        precision = estimate_precision(
            gold_emb, gold_texts, gold_keys, labels, present, needy, new_teacher,
            threshold=cfg.threshold, folds=min(cfg.folds, len(labels)), top_k=cfg.top_k,
            near_dup=cfg.near_dup, seed=cfg.seed,
        )  # fmt: skip

    rows = _gold_rows(gold, gold_texts, labels)
    pool_ids = pool["id"] if "id" in pool.column_names else None
    pool_authors = pool["author"] if "author" in pool.column_names else None
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
                "author": str(pool_authors[src]) if pool_authors is not None else None,
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
        masked={"gold": gold_mask, "pool": pool_mask, "silver": silver_mask},
        absent=[lab for lab in label_set.labels if lab not in counts] if label_set.has_axes else [],
        teacher_name=cfg.teacher,
        embedder_name=cfg.embedder or "bundled:all-MiniLM-L6-v2",
        pool_size=len(raw_pool),
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
