"""Silver pairs chosen per score bin so that gold + silver follows the wanted histogram
(``--balance``), and why a bin stayed short."""

from __future__ import annotations

from typing import Any

import numpy as np


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
