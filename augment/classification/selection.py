"""Silver selection for classification: per-class targets, semantic search with the gold
examples of the classes that need silver as queries, deduplication, then per class the
candidates the teacher labels with it above the class's cut-off, most confident first, with an
equal share of every class's need by default."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from augment.search.semantic import semantic_search
from schemas.errors import InputError
from schemas.labels import LabelSet
from schemas.text import near_duplicate_mask


def parse_targets(
    target: str,
    dist_file: str | Path | None,
    counts: Mapping[str, int],
    label_set: LabelSet,
) -> dict[str, int]:
    """Per-class target sizes from ``--target max|N|Nx`` or ``--target-dist FILE``.

    ``max``: the largest class's count; ``N``: N rows per class; ``Nx`` (e.g. ``3x``): every
    class grown N-fold. Targets never go below a class's gold count (silver only adds). A
    distribution file is a JSON object ``{label: weight}``; the total is the smallest one that
    needs no class cut.
    """
    if dist_file is not None:
        return _targets_from_dist(Path(dist_file), counts, label_set)
    if target == "max":
        top = max(counts.values())
        return {lab: max(top, n) for lab, n in counts.items()}
    growth = target.lower().endswith("x")
    try:
        n = float(target[:-1]) if growth else int(target)
    except ValueError:
        raise InputError(
            f"--target must be 'max', a count N or a growth factor like 3x, got {target!r}"
        ) from None
    if growth:
        if not (math.isfinite(n) and n >= 1):
            raise InputError(f"--target growth must be >= 1x, got {target!r}")
        return {lab: max(c, math.ceil(n * c)) for lab, c in counts.items()}
    if n <= 0:
        raise InputError(f"--target must be a positive integer, got {n}")
    return {lab: max(n, c) for lab, c in counts.items()}


def cap_growth(
    targets: Mapping[str, int], counts: Mapping[str, int], max_growth: float
) -> dict[str, int]:
    """Targets no higher than ``max_growth`` times each class's gold count (``inf``: as is).
    Silver precision falls as a class takes more of it (tweets, 40 gold per class: 0.50 at 40
    silver rows per class, 0.43 at 110), so a class grows only so far past what gold shows."""
    if math.isinf(max_growth):
        return dict(targets)
    return {
        lab: min(t, max(counts[lab], math.floor(max_growth * counts[lab] + 1e-9)))
        for lab, t in targets.items()
    }


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

    ``pool_ids`` are the unique pool rows kept; ``query[i]`` the gold row whose query found
    ``pool_ids[i]`` best; ``found[c]`` how many kept rows class ``c``'s queries found.
    """

    pool_ids: np.ndarray
    query: np.ndarray
    found: dict[str, int]
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
    seed: int = 0,
) -> Candidates:
    """Query the pool with every gold example of ``classes`` (top-k each) and drop exact
    duplicates (normalised text) and near-duplicates (cosine >= ``near_dup``) of gold and of
    each other across queries."""
    labels = np.asarray(gold_labels)
    rows = np.nonzero(np.isin(labels, classes))[0]
    hits = semantic_search(gold_emb[rows], pool_emb, top_k, index=index, seed=seed)
    ids, sims = hits.ids.ravel(), hits.scores.ravel()
    query = np.repeat(rows, hits.ids.shape[1])
    ok = ids >= 0
    ids, sims, query = ids[ok], sims[ok], query[ok]
    found_by = {c: np.unique(ids[labels[query] == c]) for c in classes}
    best = np.lexsort((-sims, ids))  # per pool row: the query with the highest similarity
    ids, query = ids[best], query[best]
    first = np.r_[True, ids[1:] != ids[:-1]] if len(ids) else np.zeros(0, bool)
    union, query = ids[first], query[first]
    keep, dropped = _dedupe(union, gold_emb, gold_keys, pool_emb, pool_keys, near_dup)
    kept = set(union[keep].tolist())
    found = {c: sum(int(p) in kept for p in found_by[c]) for c in classes}
    return Candidates(union[keep], query[keep], found, dropped)


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
    """One class's accounting: search candidates ``found`` by its queries, candidates the
    teacher ``labelled`` with it, those that ``passed`` its ``cutoff``, and silver ``taken``."""

    label: str
    gold: int
    target: int
    found: int = 0
    labelled: int = 0
    passed: int = 0
    taken: int = 0
    cutoff: float = 0.0
    #: why the cut-off is what it is (``--min-precision``), for the report
    cutoff_note: str = ""
    #: the class whose shortage set the equal quota, when it is another class
    limited_by: str = ""

    @property
    def need(self) -> int:
        return max(0, self.target - self.gold)

    @property
    def short(self) -> int:
        return max(0, self.need - self.taken)

    def why_short(self) -> str:
        if not self.short:
            return ""
        if self.cutoff == math.inf:
            return f"no confidence cut-off reaches the wanted precision: {self.cutoff_note}"
        if self.taken < self.passed and self.limited_by:
            return (
                f"equal quota: every class gets the same share of its need, set by "
                f"{self.limited_by}, the scarcest class (--no-equal-quota fills each class alone)"
            )
        if self.labelled == 0:
            return (
                f"the teacher labels none of the kept search candidates {self.label} ({self.found}"
                " found by its queries; raise --top-k or add pool texts)"
            )
        if self.cutoff > 0:
            return (
                f"only {self.passed} of the {self.labelled} candidates the teacher labels "
                f"{self.label} have p >= {self.cutoff:.3f} ({self.cutoff_note or 'threshold'})"
            )
        return (
            f"the teacher labels only {self.labelled} candidates {self.label} (raise --top-k or "
            "add pool texts)"
        )


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
    cutoffs: Mapping[str, float],
    *,
    equal_quota: bool = True,
) -> Selection:
    """Per class short of target: candidates whose teacher top label is that class with
    probability >= its cut-off (``math.inf``: none), most confident first.

    With ``equal_quota`` every class takes the same share of its need (target - gold): the
    share the scarcest class can fill; classes the teacher labels no candidate with are left
    out of that share (and reported), a class whose precision cut-off is unreachable is not.
    Silver that leaves some classes short moved the student's macro-F1 by -4 to -9 points on
    tweets, even at precision 0.46-0.70.
    ``probs`` has one row per ``cands.pool_ids`` and one column per ``label_order``.
    """
    top = probs.argmax(axis=1) if len(probs) else np.zeros(0, int)
    conf = probs.max(axis=1) if len(probs) else np.zeros(0, np.float32)
    col = {lab: i for i, lab in enumerate(label_order)}
    per_class = {lab: ClassResult(lab, counts[lab], targets[lab]) for lab in targets}
    eligible: dict[str, np.ndarray] = {}
    for lab, res in per_class.items():
        if not res.need:
            continue
        res.found = cands.found.get(lab, 0)
        res.cutoff = cutoffs.get(lab, 0.0)
        mine = np.nonzero((top == col[lab]) & (conf > 0))[0]
        res.labelled = len(mine)
        ok = mine[conf[mine] >= res.cutoff]
        eligible[lab] = ok[np.argsort(-conf[ok], kind="stable")]
        res.passed = len(ok)
    quota = {lab: per_class[lab].need for lab in eligible}
    # a class whose cut-off no precision reaches blocks the others (``--min-precision``); one
    # the teacher gives no candidate cannot be helped by holding the others back
    fillable = [lab for lab in eligible if len(eligible[lab]) or per_class[lab].cutoff == math.inf]
    if equal_quota and fillable:
        limiter = min(fillable, key=lambda lab: len(eligible[lab]) / quota[lab])
        share = min(1.0, len(eligible[limiter]) / quota[limiter])
        if share < 1.0:
            for lab in eligible:
                quota[lab] = min(quota[lab], math.floor(share * quota[lab] + 1e-9))
                per_class[lab].limited_by = limiter if lab != limiter else ""
    pos, labs = [], []
    for lab, rows in eligible.items():
        taken = rows[: quota[lab]]
        per_class[lab].taken = len(taken)
        pos.extend(taken.tolist())
        labs.extend([lab] * len(taken))
    pos_arr = np.asarray(pos, dtype=np.int64)
    return Selection(pos_arr, labs, conf[pos_arr], cands.query[pos_arr], per_class)
