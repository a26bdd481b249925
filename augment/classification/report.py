"""Classification mode's ``report.md``, ``labels.png`` and ``precision_curve.png``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from augment.classification.downstream import STUDENTS, student_description
from augment.common.figures import pyplot
from augment.common.paired import PairedResult, paired_table

if TYPE_CHECKING:
    from augment.classification.balance import BalanceResult
    from augment.classification.config import BalanceConfig


def _fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def plot_label_histograms(result: BalanceResult, path: Path) -> None:
    plt = pyplot()
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
    plt = pyplot()
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


def downstream_section(students: dict[str, PairedResult], cfg: BalanceConfig) -> list[str]:
    """The report's downstream check: one row per student (mean of each arm, the per-seed
    gains, their mean with a 95 % t interval), what each student is, then per-seed tables."""
    lines = [
        f"## Downstream check on `{cfg.eval_file}` (students `{cfg.eval_student}`, macro-F1 x 100)",
        "",
        STUDENTS[cfg.eval_student],
        "",
        "| student | gold only | gold + silver | difference per seed | mean difference (95% CI) "
        "| all of gold: gold -> + silver |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, paired in students.items():
        ev = paired.summary()
        whole = (
            f"{paired.all_gold[0]:.2f} -> {paired.all_gold[1]:.2f} ({ev['all_gold_diff']:+.2f})"
            if paired.all_gold is not None
            else "-"
        )
        lines.append(
            f"| {name} | {ev['mean_a']:.2f} | {ev['mean_b']:.2f} | "
            f"{' '.join(f'{d:+.2f}' for d in paired.diff)} | **{ev['mean_diff']:+.2f}** "
            f"({ev['ci95'][0]:+.2f} to {ev['ci95'][1]:+.2f}) | {whole} |"
        )
    worst = min(students, key=lambda n: students[n].diff.mean())
    measured = {n: p.all_gold_diff for n, p in students.items() if p.all_gold_diff is not None}
    least = min(measured, key=lambda n: measured[n]) if measured else None
    lines += [
        "",
        f"Smallest gain: `{worst}` ({students[worst].diff.mean():+.2f}); silver helps whichever "
        "student only if every student gains.",
        *(
            [
                "",
                f"Trained on all of gold (your case), the smallest gain is `{least}` "
                f"({measured[least]:+.2f}): bootstrap students see ~63 % of gold's distinct "
                "rows and gain more.",
            ]
            if least is not None
            else []
        ),
        "",
        *(f"- `{name}`: {student_description(name)}" for name in students),
    ]
    for name, paired in students.items():
        lines += ["", f"### `{name}`", "", *paired_table(paired.summary())]
    return lines


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
        lines += ["", *downstream_section(result.downstream, cfg)]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
