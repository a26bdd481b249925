"""``report.md``, ``metrics.json`` and the PNGs of ``train all`` (any task), and the stdout
table: the task's own test metrics (its ``report_metrics``) per arm over seeds, paired
differences of plain fine-tuning against each baseline (and of the three-phase recipe against
plain fine-tuning, where it ran), per-author metrics and the low-data curve."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from schemas.io import write_json
from train.study import plots
from train.study.results import (
    ARM_TITLES,
    FINE_TUNED_ARMS,
    FROZEN_RECIPE,
    PRETRAINING_ARMS,
    RECIPE,
    RECIPE_ARMS,
    TASK_ARMS,
    Run,
    select,
)
from train.study.stats import MIN_SEEDS_TO_CONCLUDE, PairedDifference, paired_difference, summarize
from train.tasks import Task
from train.tasks.base import metric_value

FIGURES = {
    "comparison": "comparison.png",
    "low_data_curve": "low_data_curve.png",
    "loss_curves": "loss_curves.png",
}
BASELINES = ("frozen", "tfidf", "majority")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _value(run: Run, key: str, per_author: bool) -> float:
    metrics = run.metrics.get("per_author", {}) if per_author else run.metrics
    value = metric_value(metrics, key)
    return math.nan if value is None else value


def fractions(runs: Sequence[Run]) -> list[float]:
    return sorted({r.fraction for r in runs if r.arm not in PRETRAINING_ARMS})


def arms(runs: Sequence[Run]) -> tuple[str, ...]:
    """The compared arms: the baselines, plain fine-tuning and the recipe where it ran."""
    ran = tuple(a for a in RECIPE_ARMS if any(r.arm == a for r in runs))
    return (*TASK_ARMS, *ran)


def differences(runs: Sequence[Run]) -> list[tuple[str, str]]:
    """The paired differences shown: recipe − plain (where it ran), plain − each baseline."""
    recipe = [(RECIPE, "plain")] if RECIPE in arms(runs) else []
    recipe += [(RECIPE, "p13")] if "p13" in arms(runs) else []
    recipe += [(FROZEN_RECIPE, "frozen")] if FROZEN_RECIPE in arms(runs) else []
    return [*recipe, *(("plain", b) for b in BASELINES)]


def metric_names(runs: Sequence[Run], task: Task, *, per_author: bool = False) -> list[str]:
    """The task's report metrics that the runs carry."""
    return [
        k for k in task.report_metrics if any(math.isfinite(_value(r, k, per_author)) for r in runs)
    ]


def paired(
    runs: Sequence[Run], fraction: float, key: str, a: str, b: str, per_author: bool = False
) -> PairedDifference:
    """Arm ``a`` − arm ``b`` paired by seed (same split)."""
    va = {r.seed: _value(r, key, per_author) for r in select(runs, a, fraction)}
    vb = {r.seed: _value(r, key, per_author) for r in select(runs, b, fraction)}
    seeds = sorted(va.keys() & vb.keys())
    return paired_difference([va[s] for s in seeds], [vb[s] for s in seeds])


def comparison(
    runs: Sequence[Run],
    task: Task,
    fraction: float,
    *,
    per_author: bool = False,
    first_difference_only: bool = False,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one row per metric, mean ± sd per arm (×100), paired Δs (the console
    shows only the first: the recipe − plain where it ran, else plain − TF-IDF)."""
    shown = differences(runs)[:1] if first_difference_only else differences(runs)
    header = ["metric", *(ARM_TITLES[a] for a in arms(runs))]
    header += [f"Δ {ARM_TITLES[a]} − {ARM_TITLES[b]} [95% CI]" for a, b in shown]
    rows = []
    for key in metric_names(runs, task, per_author=per_author):
        cells = [key + (" (lower is better)" if key in task.lower_is_better else "")]
        for arm in arms(runs):
            values = [_value(r, key, per_author) for r in select(runs, arm, fraction)]
            cells.append(summarize(values).format())
        cells += [paired(runs, fraction, key, a, b, per_author).format() for a, b in shown]
        rows.append(cells)
    return header, rows


def judged_per_author(runs: Sequence[Run], task: Task) -> bool:
    """Whether the arms are judged per author: the test rows name their authors (a person's
    answer from all their texts is what an author column asks for, and what per-author
    averaging can reorder), so the recommendation and the conclusion use per-author metrics."""
    return task.dev_metric in metric_names(runs, task, per_author=True)


def _scope(per_author: bool) -> str:
    return " per author" if per_author else ""


def conclusion(runs: Sequence[Run], task: Task, fraction: float) -> str:
    """One honest sentence per comparison on the task's dev metric (per author where the
    runs have it): plain fine-tuning vs TF-IDF and vs the frozen encoder, and the
    three-phase recipe vs plain fine-tuning where it ran."""
    pairs = [("plain", "tfidf"), ("plain", "frozen")]
    pairs += [(RECIPE, "plain")] if RECIPE in arms(runs) else []
    per_author = judged_per_author(runs, task)
    return " ".join(_verdict(runs, task.dev_metric, fraction, a, b, per_author) for a, b in pairs)


def _verdict(
    runs: Sequence[Run], key: str, fraction: float, a: str, b: str, per_author: bool
) -> str:
    diff = paired(runs, fraction, key, a, b, per_author)
    shown = key + _scope(per_author)
    name_a, name_b = ARM_TITLES[a], ARM_TITLES[b]
    if diff.n == 0:
        return f"No paired {name_a} / {name_b} runs: no comparison."
    if not diff.enough_seeds:
        return (
            f"Only {diff.n} paired seed(s): too few to conclude anything about {name_a} "
            f"vs {name_b} ({shown}: Δ {diff.format()} points; at least "
            f"{MIN_SEEDS_TO_CONCLUDE} seeds are needed)."
        )
    verdicts = {
        "a better": f"{name_a} is better than {name_b}",
        "b better": f"{name_b} is better than {name_a}",
        "no clear difference": f"{name_a} and {name_b} are not distinguishable",
    }
    return (
        f"Over {diff.n} paired seeds, {verdicts[diff.verdict]} on {shown}: Δ {diff.format()} "
        "points (95 % t interval; it says nothing beyond these data, splits and settings)."
    )


def _mean(runs: Sequence[Run], arm: str, fraction: float, key: str, per_author: bool) -> float:
    return summarize([_value(r, key, per_author) for r in select(runs, arm, fraction)]).mean


def _direction(task: Task, key: str) -> float:
    """``1.0`` where a higher ``key`` is better, ``-1.0`` where lower is (Hamming loss, MSE)."""
    return -1.0 if key in task.lower_is_better else 1.0


def _best(
    runs: Sequence[Run], task: Task, candidates: Sequence[str], fraction: float, per_author: bool
) -> str | None:
    """The candidate arm (of :func:`arms`) with the best mean dev metric at ``fraction``
    (None if none ran)."""
    key, sign = task.dev_metric, _direction(task, task.dev_metric)
    scored = [(sign * _mean(runs, a, fraction, key, per_author), a) for a in candidates]
    scored = [(v, a) for v, a in scored if math.isfinite(v)]  # arms that did not run: NaN
    return max(scored)[1] if scored else None


def recommendation(runs: Sequence[Run], task: Task) -> dict[str, Any]:
    """Which arm to use, on the task's dev metric at the largest training size run, and — when
    a baseline beats every fine-tuned arm — how the gap moves along the measured learning curve
    (``--fractions``): the gap per training size and, where it narrows, the training size at
    which the curve's log-linear trend would close it (an extrapolation of measured points).
    Per author where the runs have per-author metrics (``per_author``)."""
    full, key = max(fractions(runs), default=1.0), task.dev_metric
    per_author = judged_per_author(runs, task)
    best = _best(runs, task, arms(runs), full, per_author)
    tuned = _best(runs, task, [a for a in arms(runs) if a in FINE_TUNED_ARMS], full, per_author)
    out: dict[str, Any] = {
        "metric": key,
        "per_author": per_author,
        "best": best,
        "best_fine_tuned": tuned,
        "gaps": [],
    }
    if best is None or tuned is None or best == tuned:
        return out
    sign = _direction(task, key)
    for f in fractions(runs):
        ran = select(runs, tuned, f)
        gap = sign * (
            _mean(runs, best, f, key, per_author) - _mean(runs, tuned, f, key, per_author)
        )
        if ran and math.isfinite(gap):
            out["gaps"].append({"fraction": f, "n_train": ran[0].n_train, "gap": gap})
    out["rows_to_close"] = _rows_to_close(out["gaps"])
    return out


def _rows_to_close(gaps: Sequence[Mapping[str, Any]]) -> float | None:
    """Training rows at which the gap's least-squares line over log(rows) reaches 0, when the
    gap narrows with more rows (None otherwise)."""
    points = [(math.log(g["n_train"]), g["gap"]) for g in gaps if g["n_train"] > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    if slope >= 0:
        return None
    return math.exp(mx - my / slope)


def training_size(fraction: float) -> str:
    """``all training rows`` or ``25 % of the training rows``: the size a figure is at."""
    return "all training rows" if fraction >= 1 else f"{fraction * 100:g} % of the training rows"


def recommendation_text(runs: Sequence[Run], task: Task) -> str:
    """The recommendation as sentences for the report and the console."""
    rec = recommendation(runs, task)
    best, tuned, key, per_author = (
        rec["best"],
        rec["best_fine_tuned"],
        rec["metric"],
        rec["per_author"],
    )
    if best is None:
        return ""
    full = max(fractions(runs), default=1.0)
    level = _mean(runs, best, full, key, per_author) * 100
    shown, size = key + _scope(per_author), training_size(full)
    if tuned is None or best == tuned:
        return f"Use {ARM_TITLES[best]}: the best arm on {shown} ({level:.2f}) at {size}."
    tuned_level = _mean(runs, tuned, full, key, per_author) * 100
    text = (
        f"Use {ARM_TITLES[best]} first: on {shown} it is ahead of the best fine-tuned arm, "
        f"{ARM_TITLES[tuned]} ({level:.2f} vs {tuned_level:.2f} at {size}, this budget)"
    )
    lead = paired(runs, full, key, best, tuned, per_author)
    ahead = "a better" if _direction(task, key) > 0 else "b better"
    if lead.verdict == "too few seeds":
        text += f", by a lead {lead.n} paired seed(s) are too few to tell from noise."
    elif lead.verdict != ahead:
        text += (
            f", by a lead its {lead.n} paired seeds do not separate from 0 (Δ {lead.format()}): "
            "level with it here."
        )
    else:
        text += "."
    gaps = rec["gaps"]
    if len(gaps) < 2:
        return text + (
            " Only one training size ran: rerun with --fractions (e.g. 0.25,0.5,1) to measure "
            "whether more labelled rows would change this."
        )
    curve = ", ".join(f"{g['gap'] * 100:+.2f} at {g['n_train']} rows" for g in gaps)
    if rec["rows_to_close"] is None:
        return text + (
            f" The gap along the learning curve ({curve}) does not narrow with more rows: more "
            "labelled data at this budget is not measured to change it (longer training, "
            "--epochs/--min-steps, or a larger --model are the untested levers)."
        )
    return text + (
        f" The gap narrows along the learning curve ({curve}); its log-linear trend closes at "
        f"about {rec['rows_to_close']:,.0f} training rows (an extrapolation of these points)."
    )


def low_data(runs: Sequence[Run], task: Task) -> tuple[list[str], list[list[Any]]]:
    key = task.dev_metric
    header = ["fraction", "train rows", *(ARM_TITLES[a] for a in arms(runs))]

    def cells(fraction: float) -> list[Any]:
        return [
            summarize([_value(r, key, False) for r in select(runs, a, fraction)]).format()
            for a in arms(runs)
        ]

    rows = []
    for fraction in fractions(runs):
        plain = select(runs, "plain", fraction)
        rows.append([f"{fraction:g}", plain[0].n_train if plain else "–", *cells(fraction)])
    return header, rows


def pretraining(runs: Sequence[Run]) -> tuple[list[str], list[list[Any]]]:
    """Phases 1 and 2 per seed: rows, dev figure (phase 1: its task's dev metric; phase 2:
    its loss) and whether phase 2 uses the label."""
    header = [
        "phase",
        "seed",
        "train rows",
        "seconds",
        "dev",
        "phase 2 label_gain",
        "phase 2 label accuracy",
    ]
    rows = []
    for run in sorted(
        (r for r in runs if r.arm in PRETRAINING_ARMS), key=lambda r: (r.arm, r.seed)
    ):
        m = run.metrics
        dev = metric_value(m, m["dev_metric"]) if "dev_metric" in m else m.get("dev_loss_own_label")
        gain, accuracy = m.get("label_gain"), m.get("label_accuracy")
        rows.append(
            [
                ARM_TITLES[run.arm],
                run.seed,
                run.n_train,
                f"{run.seconds:.0f}",
                "–" if dev is None else f"{dev:.4f}",
                "–" if gain is None else f"{gain:+.4f}",
                "–" if accuracy is None else f"{accuracy:.1%} (chance {m['label_chance']:.1%})",
            ]
        )
    return header, rows


def summary(runs: Sequence[Run], task: Task) -> dict[str, Any]:
    """Everything the tables show, as JSON: per fraction, per metric, per arm and Δs."""
    out: dict[str, Any] = {}
    for fraction in fractions(runs):
        per: dict[str, Any] = {}
        for scope, per_author in (("per_post", False), ("per_author", True)):
            table = {}
            for key in metric_names(runs, task, per_author=per_author):
                cells: dict[str, Any] = {
                    arm: summarize(
                        [_value(r, key, per_author) for r in select(runs, arm, fraction)]
                    ).to_dict()
                    for arm in arms(runs)
                }
                for a, b in differences(runs):
                    diff = paired(runs, fraction, key, a, b, per_author)
                    cells[f"{a}_minus_{b}"] = diff.to_dict()
                table[key] = cells
            if table:
                per[scope] = table
        out[f"{fraction:g}"] = per
    return out


def render(runs: Sequence[Run], task: Task, setup: Mapping[str, Any]) -> str:
    full = max(fractions(runs), default=1.0)
    n_seeds = len(select(runs, "plain", full))
    compared = " vs ".join(ARM_TITLES[a] for a in reversed(arms(runs)))
    parts = [
        f"# train all --task {task.name}: {compared}",
        "",
        recommendation_text(runs, task),
        "",
        conclusion(runs, task, full),
        "",
        "## Setup",
        "",
        *[f"- **{k}**: {v}" for k, v in setup.items()],
        "",
        f"## Test metrics (×100, mean ± sd over {n_seeds} seeds, {training_size(full)})",
        "",
        markdown_table(*comparison(runs, task, full)),
        "",
        "Δ is the per-seed paired difference (same split, same seed) with a Student-t 95 % "
        f"interval; with fewer than {MIN_SEEDS_TO_CONCLUDE} seeds it is not evidence."
        + (f" {task.report_note}" if task.report_note else ""),
        "",
    ]
    if metric_names(runs, task, per_author=True):
        parts += [
            "## Per-author test metrics (post scores averaged per author, ×100)",
            "",
            markdown_table(*comparison(runs, task, full, per_author=True)),
            "",
        ]
    if any(r.arm in PRETRAINING_ARMS for r in runs):
        parts += [
            "## Pre-training phases (per seed)",
            "",
            markdown_table(*pretraining(runs)),
            "",
            "Phase 2's label_gain is its held-out sentences' loss under another label minus "
            "under their own: above 0, the model uses the label it is conditioned on; its "
            "label accuracy, the share of held-out rows whose fills are likeliest under their "
            "own label of all labels.",
            "",
        ]
    parts += [
        f"## Low-data curve ({task.dev_metric}, ×100)",
        "",
        markdown_table(*low_data(runs, task)),
        "",
        "## Figures",
        "",
        *[f"![{name.replace('_', ' ')}]({file})\n" for name, file in FIGURES.items()],
    ]
    return "\n".join(parts)


def write_report(runs: Sequence[Run], out: Path, task: Task, setup: Mapping[str, Any]) -> Path:
    """Write ``report.md``, ``metrics.json`` and the PNGs into ``out``; returns report.md."""
    full = max(fractions(runs), default=1.0)
    table = {
        key: {
            arm: summarize([_value(r, key, False) for r in select(runs, arm, full)])
            for arm in arms(runs)
        }
        for key in metric_names(runs, task)
    }
    plots.metric_bars(
        table, out / FIGURES["comparison"], title=f"Test metrics ({task.name})", ylabel="×100"
    )
    curves = {
        arm: [
            (f, summarize([_value(r, task.dev_metric, False) for r in select(runs, arm, f)]))
            for f in fractions(runs)
        ]
        for arm in arms(runs)
    }
    plots.metric_curve(curves, out / FIGURES["low_data_curve"], ylabel=f"{task.dev_metric} ×100")
    trained = ("plain",) if RECIPE not in arms(runs) else (*PRETRAINING_ARMS, "plain", RECIPE)
    trained += ("p13",) if "p13" in arms(runs) else ()
    plots.loss_curves(runs, out / FIGURES["loss_curves"], arms=trained)
    write_json(
        out / "metrics.json",
        {
            "task": task.name,
            "setup": dict(setup),
            "summary": summary(runs, task),
            "recommendation": recommendation(runs, task),
            "runs": [r.to_dict() for r in runs],
            "figures": FIGURES,
        },
    )
    report = out / "report.md"
    report.write_text(render(runs, task, setup), encoding="utf-8")
    return report


def console_name(metric: str) -> str:
    """A metric's name, short enough for the console table (``E/I.accuracy`` -> ``E/I acc``)."""
    for long, short in (
        ("mean_axis_", "axes "),
        (".accuracy", " acc"),
        ("_accuracy", " acc"),
        ("accuracy", "acc"),
        ("macro_f1", "macro-F1"),
        ("hamming_loss", "Hamming"),
        (" (lower is better)", " (↓)"),
    ):
        metric = metric.replace(long, short)
    return metric


def print_comparison(runs: Sequence[Run], task_name: str) -> None:
    """The comparison table on stdout (rich), with the one-line conclusion."""
    from rich.console import Console
    from rich.table import Table

    from train.tasks import task_class

    task = task_class(task_name)()
    full = max(fractions(runs), default=1.0)
    console = Console(width=max(150, Console().width))
    for per_author in (False, True):
        header, rows = comparison(
            runs, task, full, per_author=per_author, first_difference_only=True
        )
        if not rows:
            continue
        scope = "per author" if per_author else "per text"
        table = Table(title=f"Test metrics {scope} (×100, mean ± sd over seeds)")
        for name in header:
            table.add_column(name, justify="left" if name == "metric" else "right")
        for row in rows:
            table.add_row(console_name(row[0]), *row[1:])
        console.print(table)
    console.print(recommendation_text(runs, task))
    console.print(conclusion(runs, task, full))
