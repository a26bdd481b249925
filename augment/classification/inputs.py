"""Classification mode's inputs: gold (checked labels, at least two classes), the pool (its
non-blank texts), the optional test file, type mentions masked, and the per-class targets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import datasets
import numpy as np

from augment.classification.config import BalanceConfig, growth_cap
from augment.classification.downstream import read_eval
from augment.classification.selection import cap_growth, parse_targets
from schemas.errors import InputError
from schemas.io import read_table
from schemas.labels import LabelSet, get_label_set
from schemas.type_mentions import mask_type_mentions


@dataclass
class MaskCounts:
    rows: int = 0
    mentions: int = 0


@dataclass
class Inputs:
    """Gold, pool and test as read, with gold's class counts and the targets."""

    gold: datasets.Dataset
    labels: list[str]
    label_set: LabelSet
    #: gold's classes, in the label set's order
    present: list[str]
    counts: dict[str, int]
    #: targets before ``--max-growth`` capped them, the cap, and the capped targets
    requested: dict[str, int]
    max_growth: float
    targets: dict[str, int]
    pool: datasets.Dataset
    test: tuple[list[str], list[str]] | None

    @property
    def needy(self) -> list[str]:
        """The classes whose target is above their gold count."""
        return [lab for lab in self.present if self.targets[lab] > self.counts[lab]]

    def class_ids(self, labels: Sequence[str]) -> np.ndarray:
        """Each of ``labels`` as its column in :attr:`present`."""
        column = {lab: i for i, lab in enumerate(self.present)}
        return np.array([column[lab] for lab in labels], dtype=int)


@dataclass
class Texts:
    """The texts the models see: gold and the pool's non-blank rows, type mentions masked."""

    gold: list[str]
    pool: list[str]
    #: pool row of each of :attr:`pool`
    usable: list[int]
    #: type mentions masked in each of :attr:`pool`
    pool_masked: list[int]
    masked: dict[str, MaskCounts] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)


def read_inputs(cfg: BalanceConfig) -> Inputs:
    """Read and check gold, the pool and the test file; the targets from ``--target``,
    ``--target-dist`` and ``--max-growth``."""
    gold, labels, label_set = load_gold(cfg)
    pool = load_pool(cfg)
    present = [lab for lab in label_set.labels if lab in set(labels)]
    test = read_eval(cfg.eval_file, cfg.text_col, cfg.label_col, present) if cfg.eval_file else None
    counts = {lab: labels.count(lab) for lab in present}
    requested = parse_targets(cfg.target, cfg.target_dist, counts, label_set)
    max_growth = growth_cap(cfg)
    targets = cap_growth(requested, counts, max_growth)
    return Inputs(
        gold, labels, label_set, present, counts, requested, max_growth, targets, pool, test
    )


def mask_texts(cfg: BalanceConfig, inputs: Inputs) -> Texts:
    """Gold's texts and the pool's non-blank ones, type mentions masked (``--mask``); a pool
    with no non-blank text is an :class:`InputError`."""
    gold_texts, gold_mask, _ = mask_all(list(inputs.gold["text"]), cfg.mask_types)
    raw_pool = [t if isinstance(t, str) else "" for t in inputs.pool["text"]]
    usable = [i for i, t in enumerate(raw_pool) if t.strip()]
    pool_texts, pool_mask, pool_masked = mask_all([raw_pool[i] for i in usable], cfg.mask_types)
    dropped = Counter(
        {"blank pool text": len(raw_pool) - len(usable)} if len(usable) < len(raw_pool) else {}
    )
    if not usable:
        raise InputError("pool has no non-blank texts", file=cfg.pool)
    masked = {"gold": gold_mask, "pool": pool_mask}
    return Texts(gold_texts, pool_texts, usable, pool_masked, masked, dropped)


def mask_all(texts: list[str], enabled: bool) -> tuple[list[str], MaskCounts, list[int]]:
    """``texts`` with type mentions masked (when ``enabled``), the counts, and per row the
    mentions masked."""
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


def every_author(ds: datasets.Dataset, col: str) -> list[str] | None:
    """The author of every row, or ``None`` when the column is missing or has a blank."""
    if col not in ds.column_names or any(a is None or str(a) == "" for a in ds[col]):
        return None
    return [str(a) for a in ds[col]]
