"""Pair mode's ``report.md`` and ``scores.png``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from augment.common.figures import pyplot
from augment.common.paired import paired_table


def plot_score_histograms(
    gold: Sequence[float], silver: Sequence[float], bins: Sequence[float], path: Path
) -> None:
    plt = pyplot()
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
    """Pair-mode ``report.md``; ``summary`` comes from :func:`augment.pairs.run.run_pairs`."""
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
            *paired_table(ev),
        ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
