"""``report.md`` + PNG figures for ``augment silver`` (both modes)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from augment.downstream import STUDENTS

if TYPE_CHECKING:
    from augment.balance import BalanceConfig, BalanceResult


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def plot_label_histograms(result: BalanceResult, path: Path) -> None:
    plt = _pyplot()
    labels = list(result.counts_before)
    x = np.arange(len(labels))
    gold = [result.counts_before[lab] for lab in labels]
    silver = [result.counts_after[lab] - result.counts_before[lab] for lab in labels]
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(labels)), 4))
    ax.bar(x, gold, label="gold")
    ax.bar(x, silver, bottom=gold, label="silver")
    ax.step(
        np.r_[x - 0.5, x[-1] + 0.5],
        [result.targets[labels[0]]] + [result.targets[lab] for lab in labels],
        color="k", linestyle="--", linewidth=1, label="target",
    )  # fmt: skip
    ax.set_xticks(x, labels, rotation=60)
    ax.set_ylabel("rows")
    ax.set_title("Labels before (gold) and after (gold + silver)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_precision_curve(result: BalanceResult, path: Path) -> None:
    plt = _pyplot()
    curve = result.precision.curve
    t = [p.threshold for p in curve]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(t, [np.nan if p.precision is None else p.precision for p in curve], "o-",
            label="precision (held-out gold)")  # fmt: skip
    ax.plot(t, [p.yield_ for p in curve], "s-", label="yield (share of hidden gold kept)")
    ax.axvline(result.precision.threshold, color="k", linestyle="--", linewidth=1)
    ax.set_xlabel("--threshold")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Silver precision / yield ({result.precision.folds}-fold)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _paired_table(ev: Mapping) -> list[str]:
    """Per-seed rows of a paired gold vs gold + silver comparison, then the mean and CI."""
    rows = ["| seed | gold only | gold + silver | difference |", "|---:|---:|---:|---:|"]
    rows += [
        f"| {s} | {a:.2f} | {b:.2f} | {b - a:+.2f} |"
        for s, a, b in zip(ev["seeds"], ev["a"], ev["b"], strict=True)
    ]
    rows.append(
        f"| mean | {ev['mean_a']:.2f} | {ev['mean_b']:.2f} | **{ev['mean_diff']:+.2f}** "
        f"(95% CI {ev['ci95'][0]:+.2f} to {ev['ci95'][1]:+.2f}) |"
    )
    return rows


def _growth_line(result: BalanceResult) -> str:
    if math.isinf(result.max_growth):
        return "- growth cap: none (`--max-growth 0`)"
    capped = [lab for lab, t in result.targets.items() if t < result.requested.get(lab, t)]
    return (
        f"- growth cap: a class grows to at most {result.max_growth:g} x its gold count "
        f"(`--max-growth`; silver precision falls as a class takes more); capped: "
        f"{', '.join(capped) or 'none'}"
    )


def _target_cell(result: BalanceResult, lab: str) -> str:
    asked = result.requested.get(lab, result.targets[lab])
    return (
        f"{result.targets[lab]}"
        if asked == result.targets[lab]
        else f"{asked} → {result.targets[lab]}"
    )


def write_balance_report(result: BalanceResult, out: Path, cfg: BalanceConfig) -> None:
    """Write ``report.md``, ``labels.png`` and (with an estimate) ``precision_curve.png``."""
    plot_label_histograms(result, out / "labels.png")
    sel = result.selection
    cut_rule = []
    if cfg.threshold is not None:
        cut_rule.append(f"threshold {cfg.threshold:g}")
    if cfg.min_precision is not None:
        cut_rule.append(f"per-class held-out precision >= {cfg.min_precision:g}")
    lines = [
        "# augment silver — label balancing report",
        "",
        f"- teacher: `{result.teacher_name}`; embedder: `{result.embedder_name}`; cut-off: "
        f"{' and '.join(cut_rule) or 'none (most confident first)'}; equal quota: "
        f"{'on' if cfg.equal_quota else 'off'}"
        + (
            f"; teacher averaged over {result.pooled_authors} pool authors"
            if result.pooled_authors
            else ""
        ),
        _growth_line(result),
        "- wall seconds: " + "; ".join(f"{k} {v:g}" for k, v in result.seconds.items()),
        f"- gold rows: {sum(result.counts_before.values())}; pool rows: {result.pool_size}; "
        f"silver rows added: {len(sel.labels)}",
        "- type mentions masked: "
        + "; ".join(f"{k} {m.mentions} in {m.rows} rows" for k, m in result.masked.items()),
        "",
        "![labels](labels.png)",
        "",
        "## Per class",
        "",
        "Search = kept candidates its gold queries found; labelled = candidates the teacher "
        "labels with the class; est. precision / yield = held-out gold (k-fold) at the "
        "confidence of the last silver row taken.",
        "",
        "| label | gold | target | search | labelled | cut-off | passed | silver | after | "
        "est. precision | est. yield | short |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    estimates = result.class_estimates()
    for lab, before in result.counts_before.items():
        res = sel.per_class[lab]
        est = estimates.get(lab)
        cut = {float("inf"): "never", 0.0: "none"}.get(res.cutoff, f"{res.cutoff:.3f}")
        lines.append(
            f"| {lab} | {before} | {_target_cell(result, lab)} | {res.found} | {res.labelled} | "
            f"{cut if res.need else ''} | {res.passed} | {res.taken} | "
            f"{result.counts_after[lab]} | {_fmt(est.precision if est else None)} | "
            f"{_fmt(est.yield_ if est else None)} | {res.short} |"
        )
    short = [r for r in sel.per_class.values() if r.short]
    lines += ["", "## Classes short of their target", ""]
    lines += [f"- **{r.label}** ({r.short} short): {r.why_short()}" for r in short] or ["- none"]
    if result.absent:
        lines.append(
            f"- absent from gold (no queries, not a teacher class): {', '.join(result.absent)}"
        )
    dropped = sorted((why, n) for why, n in result.dropped.items() if n)
    if dropped:
        lines += ["", "## Candidates dropped before the teacher", ""]
        lines += [f"- {why}: {n}" for why, n in dropped]
    lines += ["", "## Estimated silver precision (held-out gold)", ""]
    est = result.precision
    if est is None:
        lines.append("- not estimated (`--folds` < 2 or no class needed silver)")
    else:
        plot_precision_curve(result, out / "precision_curve.png")
        at = est.at_threshold
        lines += [
            f"{est.folds}-fold (grouped by author when gold has authors): a teacher trained on "
            "the other folds labels each held-out fold. Precision = share of held-out rows "
            "whose top label (a class that receives silver, p >= threshold) is their gold "
            "label; yield = share of all held-out rows selected.",
            "",
            f"- at threshold {at.threshold:g}: precision **{_fmt(at.precision)}** "
            f"({at.correct}/{at.selected}), yield {at.yield_:.3f}",
            "",
            "![precision curve](precision_curve.png)",
            "",
            "| silver label | correct / selected | precision |",
            "|---|---:|---:|",
        ]
        for lab in sorted(at.per_class):
            ok, n = at.per_class[lab]
            lines.append(f"| {lab} | {ok}/{n} | {_fmt(ok / n if n else None)} |")
        lines += ["", "| threshold | precision | yield | selected |", "|---:|---:|---:|---:|"]
        lines += [
            f"| {p.threshold:g} | {_fmt(p.precision)} | {p.yield_:.3f} | {p.selected} |"
            for p in est.curve
        ]
    if result.downstream is not None:
        ev = result.downstream.summary()
        lines += [
            "",
            f"## Downstream check on `{cfg.eval_file}` (student `{cfg.eval_student}`, "
            f"macro-F1 x 100)",
            "",
            STUDENTS[cfg.eval_student],
            "",
            *_paired_table(ev),
        ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot_score_histograms(
    gold: Sequence[float], silver: Sequence[float], bins: Sequence[float], path: Path
) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharey=False)
    combined = list(gold) + list(silver)
    for ax, (name, vals) in zip(
        axes, (("gold", gold), ("silver", silver), ("gold + silver", combined)), strict=True
    ):
        ax.hist(vals, bins=bins, edgecolor="white")
        ax.set_title(f"{name} (n={len(vals)})")
        ax.set_xlabel("score")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def teacher_line(summary: Mapping) -> str:
    """The pair report's line on who scored the candidates."""
    teacher = summary["teacher"]
    trained = []  # the models the teacher trained on gold (null steps: not trained)
    if summary["ce_steps"] is not None:
        trained.append(
            f"a cross-encoder trained on {summary['gold']} gold pairs (both orders), "
            f"{summary['ce_steps']} optimiser steps"
        )
    if summary["bi_teacher_steps"] is not None:
        trained.append(
            f"the embedder fine-tuned on the gold pairs (cosine), at least "
            f"{summary['bi_teacher_steps']} steps"
        )
    if not trained:
        return f"- teacher `{teacher}` (--pair-teacher): a pretrained cross-encoder, used as it is"
    return f"- teacher `{teacher}` (--pair-teacher) from `{summary['embedder']}`: " + ", ".join(
        trained
    )


def write_pairs_report(summary: Mapping, out: Path) -> None:
    """Pair-mode ``report.md``; ``summary`` comes from :func:`augment.pairs.run_pairs`."""
    sources = ", ".join(f"{k} {v}" for k, v in summary["sources"].items()) or "none"
    lines = [
        "# augment silver --pairs — AugSBERT report",
        "",
        teacher_line(summary),
        f"- scale: {summary['scale'][0]:g}–{summary['scale'][1]:g}; "
        f"balance: `{summary['balance']}` over {summary['bins']} bins",
        f"- sampled pairs over {summary['sentences']} unique gold sentences (top-"
        f"{summary['top_k']}; gold pairs and self skipped): {summary['sampled']} ({sources}); "
        f"silver kept: {summary['silver']}",
        "",
        "![scores](scores.png)",
        "",
        "| bin | gold | wanted silver | silver | available | why short |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for b in summary["per_bin"]:
        lines.append(
            f"| {b['range']} | {b['gold']} | {b['wanted']} | {b['silver']} | {b['available']} "
            f"| {b['why_short']} |"
        )
    if summary.get("eval"):
        ev = summary["eval"]
        lines += [
            "",
            f"## Bi-encoder evaluation on `{ev['test']}` ({ev['n_test']} pairs, Spearman x 100)",
            "",
            f"Untuned embedder: {ev['untuned']:.2f}; the teacher (`{summary['teacher']}`): "
            f"{ev['teacher']:.2f}.",
            "",
            *_paired_table(ev),
        ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
