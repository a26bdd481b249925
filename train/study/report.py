"""``report.md``, ``metrics.json`` and the PNGs of a ``train all`` study, and the stdout table."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from schemas.io import write_json
from train.study import plots
from train.study.results import (
    ARM_TITLES,
    COMPARED_ARMS,
    MEAN_ROW,
    PRETRAINING_ARMS,
    REFERENCE_ACCURACY,
    ROWS,
    Run,
    arm_summary,
    author_runs,
    fractions_of,
    majority_summary,
    mlm_minus_plain,
    select,
    summary_tables,
)
from train.study.stats import MIN_SEEDS_TO_CONCLUDE, summarize

METRIC_TITLES = {"accuracy": "accuracy", "macro_f1": "macro-F1", "auc": "AUC"}
FIGURES = {
    "loss_curves": "loss_curves.png",
    "confusion_matrices": "confusion_matrices.png",
    "comparison": "comparison.png",
    "low_data_curve": "low_data_curve.png",
}


def comparison_rows(
    runs: Sequence[Run], fraction: float, key: str, *, reference: bool = True
) -> tuple[list[str], list[list]]:
    """Header and rows of the study's comparison table for one metric (cells in %);
    ``reference`` adds the study's published figures (report.md only, for context)."""
    reference = reference and key == "accuracy"
    header = ["axis"]
    if key == "accuracy":
        header.append("majority")
    header += [ARM_TITLES[a] for a in COMPARED_ARMS] + ["Δ MLM−plain [95% CI]"]
    if reference:
        header.append("study: MLM / plain")
    rows = []
    for row in ROWS:
        cells = [row]
        if key == "accuracy":
            cells.append(majority_summary(runs, fraction, row).format())
        cells += [arm_summary(runs, arm, fraction, row, key).format() for arm in COMPARED_ARMS]
        cells.append(mlm_minus_plain(runs, fraction, row, key).format())
        if reference:
            mlm_ref = REFERENCE_ACCURACY["mlm"].get(row)
            plain_ref = REFERENCE_ACCURACY["plain"].get(row)
            cells.append(" / ".join(f"{v:.2f}" if v else "–" for v in (mlm_ref, plain_ref)))
        rows.append(cells)
    return header, rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def conclusion(runs: Sequence[Run], fraction: float) -> str:
    """One honest sentence on MLM vs plain (mean axis accuracy)."""
    diff = mlm_minus_plain(runs, fraction, MEAN_ROW, "accuracy")
    if diff.n == 0:
        return "No paired MLM/plain runs: no comparison."
    seeds = f"{diff.n} paired seed{'s' if diff.n != 1 else ''}"
    if not diff.enough_seeds:
        return (
            f"Only {seeds}: too few to conclude anything about MLM vs plain fine-tuning "
            f"(mean difference {diff.format()} points; at least {MIN_SEEDS_TO_CONCLUDE} seeds "
            "are needed before the interval is read as evidence, and more for small effects)."
        )
    verdicts = {
        "a better": "MLM fine-tuning is better than plain fine-tuning",
        "b better": "plain fine-tuning is better than MLM fine-tuning",
        "no clear difference": "the difference between MLM and plain fine-tuning is not "
        "distinguishable from zero",
    }
    return (
        f"Over {seeds}, {verdicts[diff.verdict]} on mean axis accuracy: "
        f"Δ {diff.format()} points (95 % t interval; it says nothing beyond these data, "
        "splits and settings)."
    )


def low_data_rows(runs: Sequence[Run]) -> tuple[list[str], list[list]]:
    header = ["fraction", "train posts", "majority"] + [ARM_TITLES[a] for a in COMPARED_ARMS]
    header.append("Δ MLM−plain [95% CI]")

    def cells(fraction: float) -> list[Any]:
        return [
            majority_summary(runs, fraction, MEAN_ROW).format(),
            *[arm_summary(runs, a, fraction, MEAN_ROW, "accuracy").format() for a in COMPARED_ARMS],
            mlm_minus_plain(runs, fraction, MEAN_ROW, "accuracy").format(),
        ]

    return header, low_data_table(runs, fractions_of(runs), cells)


def low_data_table(
    runs: Sequence[Run], fractions: Sequence[float], cells: Callable[[float], list[Any]]
) -> list[list[Any]]:
    """One row per training fraction: the fraction, the plain arm's training size (``–``
    without a plain run), then ``cells(fraction)``."""
    rows = []
    for fraction in fractions:
        plain = select(runs, "plain", fraction)
        rows.append([f"{fraction:g}", plain[0].n_train if plain else "–", *cells(fraction)])
    return rows


def pretraining_rows(runs: Sequence[Run]) -> tuple[list[str], list[list]]:
    """Phase 1/2 metrics (whatever scalar metrics the phase reported), one row per seed."""
    pre = sorted((r for r in runs if r.arm in PRETRAINING_ARMS), key=lambda r: (r.arm, r.seed))
    keys = sorted({k for r in pre for k, v in r.metrics.items() if _is_number(v)})
    header = ["phase", "seed", "train rows", "seconds", *keys]
    rows = [
        [
            ARM_TITLES[r.arm],
            r.seed,
            r.n_train,
            f"{r.seconds:.0f}",
            *[_fmt(r.metrics.get(k)) for k in keys],
        ]
        for r in pre
    ]
    return header, rows


def render_markdown(runs: Sequence[Run], setup: Mapping[str, Any]) -> str:
    """The whole ``report.md``."""
    fractions = fractions_of(runs)
    full = max(fractions, default=1.0)
    n_seeds = len(select(runs, "plain", full))
    parts = [
        "# train all: three-phase MLM fine-tuning vs plain fine-tuning",
        "",
        conclusion(runs, full),
        "",
        "## Setup",
        "",
        *[f"- **{k}**: {v}" for k, v in setup.items()],
        "",
        f"## Test accuracy per axis (%, mean ± sd over {n_seeds} seeds, all training posts)",
        "",
        markdown_table(*comparison_rows(runs, full, "accuracy")),
        "",
        "Δ is the per-seed paired difference MLM − plain (same split, same seed) with a "
        f"Student-t 95 % interval; with fewer than {MIN_SEEDS_TO_CONCLUDE} seeds it is not "
        "evidence either way. The last column is the study's figures (Korean posts, KcELECTRA; "
        "DESIGN.md) for context only: other data, other encoder, not comparable.",
        "",
    ]
    authors = author_runs(runs)
    if authors:
        parts += [
            "## Per-author test accuracy per axis (%, post probabilities averaged per author)",
            "",
            markdown_table(*comparison_rows(authors, full, "accuracy", reference=False)),
            "",
            "A type belongs to a person: each test author's posts are scored, their "
            "probabilities averaged, and the author's type judged once (majority: the "
            "training posts' majority pole).",
            "",
        ]
    for key in ("macro_f1", "auc"):
        parts += [
            f"## Test {METRIC_TITLES[key]} per axis (%, mean ± sd)",
            "",
            markdown_table(*comparison_rows(runs, full, key)),
            "",
        ]
    if len(fractions) > 1:
        parts += [
            "## Low-data transfer curve (mean axis accuracy, %)",
            "",
            markdown_table(*low_data_rows(runs)),
            "",
            f"![low-data curve]({FIGURES['low_data_curve']})",
            "",
        ]
    mlm = select(runs, "mlm", full)
    if mlm:
        parts += [
            "## Whole-type metrics (mean ± sd)",
            "",
            markdown_table(
                ["arm", "16-type accuracy (%)", "Hamming loss (%)"],
                [
                    [
                        ARM_TITLES[arm],
                        _scalar_summary(runs, arm, full, "type_accuracy"),
                        _scalar_summary(runs, arm, full, "hamming_loss"),
                    ]
                    for arm in COMPARED_ARMS
                ],
            ),
            "",
        ]
    if any(r.arm in PRETRAINING_ARMS for r in runs):
        parts += ["## Pre-training phases", "", markdown_table(*pretraining_rows(runs)), ""]
    parts += [
        "## Figures",
        "",
        f"![comparison]({FIGURES['comparison']})",
        "",
        f"![loss curves]({FIGURES['loss_curves']})",
        "",
        f"![confusion matrices]({FIGURES['confusion_matrices']})",
        "",
        "Confusion matrices are summed over seeds, at each run's per-axis threshold.",
        "",
    ]
    return "\n".join(parts)


def write_report(runs: Sequence[Run], out: Path, setup: Mapping[str, Any]) -> Path:
    """Write ``report.md``, ``metrics.json`` and the four PNGs into ``out``; returns report.md."""
    full = max(fractions_of(runs), default=1.0)
    plots.loss_curves(runs, out / FIGURES["loss_curves"])
    plots.confusion_matrices(runs, out / FIGURES["confusion_matrices"], fraction=full)
    plots.comparison_chart(runs, out / FIGURES["comparison"], fraction=full)
    plots.low_data_curve(runs, out / FIGURES["low_data_curve"])
    write_json(
        out / "metrics.json",
        {
            "setup": dict(setup),
            "summary": summary_tables(runs),
            "reference_accuracy": REFERENCE_ACCURACY,
            "runs": [r.to_dict() for r in runs],
            "figures": FIGURES,
        },
    )
    report = out / "report.md"
    report.write_text(render_markdown(runs, setup), encoding="utf-8")
    return report


def print_comparison(runs: Sequence[Run]) -> None:
    """The accuracy comparison table on stdout (rich), with the one-line conclusion."""
    from rich.console import Console
    from rich.table import Table

    full = max(fractions_of(runs), default=1.0)
    console = Console(width=max(120, Console().width))
    for scope, chosen in (("per post", runs), ("per author", author_runs(runs))):
        if not chosen:
            continue
        header, rows = comparison_rows(chosen, full, "accuracy", reference=False)
        table = Table(title=f"Test accuracy per axis, {scope} (%, mean ± sd over seeds)")
        for name in header:
            table.add_column(name, justify="left" if name == "axis" else "right")
        for row in rows:
            table.add_row(*map(str, row))
        console.print(table)
    console.print(conclusion(runs, full))


def _scalar_summary(runs: Sequence[Run], arm: str, fraction: float, key: str) -> str:
    values = [r.metrics.get(key) for r in select(runs, arm, fraction)]
    return summarize([v for v in values if _is_number(v)]).format()


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _fmt(v: Any) -> str:
    if not _is_number(v):
        return "–"
    return f"{v:.4g}" if math.isfinite(v) else "–"
