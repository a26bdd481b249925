"""Silver selection for classification: per-class targets, semantic search with the class's gold
examples as queries, deduplication, teacher filter at a threshold, most confident first."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from augment.embeddings import near_duplicate_mask
from augment.search import semantic_search
from schemas.errors import InputError
from schemas.labels import LabelSet


def parse_targets(
    target: str,
    dist_file: str | Path | None,
    counts: Mapping[str, int],
    label_set: LabelSet,
) -> dict[str, int]:
    """Per-class target sizes from ``--target max|N`` or ``--target-dist FILE``.

    Targets never go below a class's gold count (silver only adds). A distribution file is a
    JSON object ``{label: weight}``; the total is the smallest one that needs no class cut.
    """
    if dist_file is not None:
        return _targets_from_dist(Path(dist_file), counts, label_set)
    if target == "max":
        top = max(counts.values())
        return {lab: max(top, n) for lab, n in counts.items()}
    try:
        n = int(target)
    except ValueError:
        raise InputError(f"--target must be 'max' or a positive integer, got {target!r}") from None
    if n <= 0:
        raise InputError(f"--target must be a positive integer, got {n}")
    return {lab: max(n, c) for lab, c in counts.items()}


def _targets_from_dist(
    path: Path, counts: Mapping[str, int], label_set: LabelSet
) -> dict[str, int]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", file=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"not a JSON object of label weights ({err})", file=path) from None
    if not isinstance(raw, dict) or not raw:
        raise InputError("must be a JSON object {label: weight}", file=path)
    weights: dict[str, float] = {}
    for key, value in raw.items():
        try:
            lab = label_set.parse(key)
        except InputError as err:
            raise err.at(file=path, field=key) from None
        if lab not in counts:
            raise InputError("label has no gold examples to search with", file=path, field=key)
        if not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
            raise InputError("weight must be a number >= 0", file=path, field=key)
        weights[lab] = float(value)
    total_w = sum(weights.values())
    if total_w <= 0:
        raise InputError("weights sum to zero", file=path)
    share = {lab: w / total_w for lab, w in weights.items() if w > 0}
    total = max(counts[lab] / s for lab, s in share.items())
    return {lab: max(c, round(share.get(lab, 0.0) * total)) for lab, c in counts.items()}


@dataclass
class Candidates:
    """Search results for the classes that need silver, deduplicated.

    ``pool_ids`` are the unique pool rows found; ``by_class[c]`` holds positions into
    ``pool_ids`` and the gold row whose query found each one best.
    """

    pool_ids: np.ndarray
    by_class: dict[str, tuple[np.ndarray, np.ndarray]]
    dropped: Counter = field(default_factory=Counter)


def find_candidates(
    gold_emb: np.ndarray,
    gold_labels: Sequence[str],
    gold_keys: set[str],
    pool_emb: np.ndarray,
    pool_keys: Sequence[str],
    classes: Sequence[str],
    *,
    top_k: int,
    near_dup: float,
    index: str = "exact",
) -> Candidates:
    """Query the pool with every gold example of ``classes`` (top-k each) and drop exact
    duplicates (normalised text) and near-duplicates (cosine >= ``near_dup``) of gold and of
    each other across queries."""
    labels = np.asarray(gold_labels)
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in classes:
        rows = np.nonzero(labels == c)[0]
        hits = semantic_search(gold_emb[rows], pool_emb, top_k, index=index)
        ids, sims = hits.ids.ravel(), hits.scores.ravel()
        query = np.repeat(rows, hits.ids.shape[1])
        ok = ids >= 0
        ids, sims, query = ids[ok], sims[ok], query[ok]
        best = np.lexsort((-sims, ids))  # per pool row: the query with the highest similarity
        ids, query = ids[best], query[best]
        first = np.r_[True, ids[1:] != ids[:-1]]
        found[c] = (ids[first], query[first])
    union = np.unique(np.concatenate([ids for ids, _ in found.values()] or [np.zeros(0, int)]))
    keep, dropped = _dedupe(union, gold_emb, gold_keys, pool_emb, pool_keys, near_dup)
    kept = union[keep]
    position = {int(p): i for i, p in enumerate(kept)}
    by_class = {}
    for c, (ids, query) in found.items():
        mask = np.array([int(p) in position for p in ids], dtype=bool)
        by_class[c] = (np.array([position[int(p)] for p in ids[mask]], dtype=np.int64), query[mask])
    return Candidates(kept, by_class, dropped)


def _dedupe(
    union: np.ndarray,
    gold_emb: np.ndarray,
    gold_keys: set[str],
    pool_emb: np.ndarray,
    pool_keys: Sequence[str],
    near_dup: float,
) -> tuple[np.ndarray, Counter]:
    dropped: Counter = Counter()
    keep = np.ones(len(union), dtype=bool)
    seen: set[str] = set()
    for i, p in enumerate(union):
        key = pool_keys[p]
        if key in gold_keys:
            keep[i] = False
            dropped["exact duplicate of gold"] += 1
        elif key in seen:
            keep[i] = False
            dropped["exact duplicate within pool"] += 1
        seen.add(key)
    emb = pool_emb[union]
    if len(emb):
        near_gold = semantic_search(emb, gold_emb, 1).scores[:, 0] >= near_dup
        dropped["near-duplicate of gold"] += int((near_gold & keep).sum())
        keep &= ~near_gold
        rows = np.nonzero(keep)[0]
        near_self = ~near_duplicate_mask(emb[rows], near_dup)
        dropped["near-duplicate within pool"] += int(near_self.sum())
        keep[rows[near_self]] = False
    return keep, dropped


@dataclass
class ClassResult:
    label: str
    gold: int
    target: int
    found: int = 0
    passed: int = 0
    taken: int = 0

    @property
    def short(self) -> int:
        return max(0, self.target - self.gold - self.taken)

    def why_short(self, threshold: float) -> str:
        if not self.short:
            return ""
        if self.found == 0:
            return "search found no candidates (pool too small or unrelated)"
        if self.passed < self.target - self.gold:
            return (
                f"only {self.passed} of {self.found} search candidates had the teacher's top "
                f"label = {self.label} with p >= {threshold:g} (lower --threshold, raise "
                "--top-k, or add pool texts)"
            )
        return "candidates were taken by other classes"


@dataclass
class Selection:
    """Chosen silver rows (positions into ``Candidates.pool_ids``) and per-class accounting."""

    positions: np.ndarray
    labels: list[str]
    scores: np.ndarray
    query_rows: np.ndarray
    per_class: dict[str, ClassResult]


def choose(
    cands: Candidates,
    probs: np.ndarray,
    label_order: Sequence[str],
    counts: Mapping[str, int],
    targets: Mapping[str, int],
    threshold: float,
) -> Selection:
    """For each class short of target: candidates whose teacher top label is that class with
    probability >= ``threshold``, most confident first, until the target is reached.

    ``probs`` has one row per ``cands.pool_ids`` and one column per ``label_order``.
    """
    top = probs.argmax(axis=1) if len(probs) else np.zeros(0, int)
    top_p = probs.max(axis=1) if len(probs) else np.zeros(0, np.float32)
    col = {lab: i for i, lab in enumerate(label_order)}
    per_class = {lab: ClassResult(lab, counts[lab], targets[lab]) for lab in targets}
    pos, labs, scores, queries = [], [], [], []
    for lab, (positions, query) in cands.by_class.items():
        res = per_class[lab]
        res.found = len(positions)
        ok = (top[positions] == col[lab]) & (top_p[positions] >= threshold)
        res.passed = int(ok.sum())
        order = np.argsort(-top_p[positions[ok]], kind="stable")[: res.target - res.gold]
        res.taken = len(order)
        pos.extend(positions[ok][order])
        queries.extend(query[ok][order])
        scores.extend(top_p[positions[ok]][order])
        labs.extend([lab] * len(order))
    return Selection(
        np.asarray(pos, dtype=np.int64),
        labs,
        np.asarray(scores, dtype=np.float32),
        np.asarray(queries, dtype=np.int64),
        per_class,
    )
