"""``report.md`` beside every ``masked`` data set: how well its fills fit and differ by type.

The figures of :func:`datagen.masked.stats.type_divergence` (slot fit, per-type and per-axis
divergence, distinct targets), the type probe's accuracies beside chance
(:mod:`datagen.masked.probe`) and, for the first few sentences, each type's top fills.
"""

from __future__ import annotations

from collections.abc import Sequence

from datagen.masked.stats import by_sentence
from schemas.labels import MBTI

SHOWN_SENTENCES = 3
SHOWN_FILLS = 3


def quality_report(
    records: Sequence[dict],
    stats: dict,
    probe: dict,
    *,
    backend: str,
    model: str,
    type_context: int = 0,
    type_contrast: float = 0.0,
) -> str:
    """The Markdown quality report of a ``masked`` data set (``probe``: :mod:`.probe`'s;
    ``type_context``: the article sentences that described the type in each prompt, 0: none;
    ``type_contrast``: the strength of :mod:`.contrast`'s reweighting, 0: none)."""
    context = (
        f" Each (sentence, type) prompt described the type by {type_context} sentences of its "
        "own articles, without naming it (`--type-context`)."
        if type_context
        else ""
    )
    if type_contrast:
        context += (
            f" The fills were reweighted by type contrast {type_contrast:g} (`--type-contrast`: "
            "how much more probable a word is under its type than under the sentence's types "
            "on average), so the probe below measures the reweighted fills."
        )
    lines = [
        "# Masked data set: quality report",
        "",
        f"Backend `{backend}`, model `{model or '-'}`; {len(records):,} rows, "
        f"{stats.get('sentences', 0):,} sentences with all 16 types.{context}",
        "",
        "| figure | value |",
        "| --- | --- |",
    ]
    fit = stats.get("slot_fit")
    if fit:
        lines += [
            f"| rows whose every fill fits the slot (POS + inflection, no antonym) "
            f"| {_pct(fit['all_candidates_fit'])} |",
            f"| rows whose target fits the slot | {_pct(fit['target_fits'])} |",
        ]
    else:
        lines.append("| slot fit | not measured (English only, needs the base sentences) |")
    if "mean_jsd" in stats:
        lines += [
            f"| mean JSD between two types' fills (0..1) | {stats['mean_jsd']:.3f} |",
            f"| distinct targets per sentence (of 16) "
            f"| {stats['distinct_targets_per_sentence']:.2f} |",
        ]
        lines += ["", "Per axis: JSD between the pooled fills of its two poles, and the share of "
                  "type pairs differing only on that axis whose targets differ.", "",
                  "| axis | pole JSD | top-1 differs |", "| --- | --- | --- |"]  # fmt: skip
        for axis in MBTI.axis_names:
            lines.append(
                f"| {axis} | {stats['axis_pole_jsd'][axis]:.3f} "
                f"| {_pct(stats['axis_top1_differs'][axis])} |"
            )
    lines += _probe_lines(probe)
    lines += ["", f"## Top fills by type (first {SHOWN_SENTENCES} sentences)"]
    for rows in list(by_sentence(records).values())[:SHOWN_SENTENCES]:
        first = next(iter(rows.values()))
        lines += ["", f"**{first['text']}**", "", "| type | fills (prob) |", "| --- | --- |"]
        for label in MBTI.labels:
            if label in rows:
                fills = ", ".join(
                    f"{c['word']} ({c['prob']:.2f})"
                    for c in rows[label]["candidates"][:SHOWN_FILLS]
                )
                lines.append(f"| {label} | {fills} |")
    return "\n".join(lines) + "\n"


def _probe_lines(probe: dict) -> list[str]:
    lines = ["", "## Type probe", ""]
    if not probe["folds"]:
        return [*lines, "Not measured: it needs two or more sentences with all 16 types."]
    chance = probe["chance"]
    lines += [
        f"A linear model predicts each row's type from its fills (candidates weighted by "
        f"probability, and the target), over {probe['folds']} folds grouped by sentence "
        f"({probe['n_sentences']:,} sentences): what phase 2 can learn from them, as far as a "
        "linear model sees it.",
        "",
        "| predicted | accuracy | chance |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {axis} | {_pct(value)} | {_pct(chance['axis'])} |"
        for axis, value in probe["axis_accuracy"].items()
    ]
    return [
        *lines,
        f"| mean axis | {_pct(probe['mean_axis_accuracy'])} | {_pct(chance['axis'])} |",
        f"| type (of 16) | {_pct(probe['type_accuracy'])} | {_pct(chance['type'])} |",
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"
