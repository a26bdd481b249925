"""``--task`` and its options, declared once (a group for phase 3, ``train all`` and
``predict`` to include), and the task they build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.errors import InputError
from schemas.labels import read_label_file
from schemas.options import option
from train.tasks import (
    TASKS,
    MbtiTask,
    MultiLabelTask,
    RegressionTask,
    SingleLabelTask,
    Task,
)
from train.tasks.sigmoid import THRESHOLD_MODES

PANEL = "Task"


@dataclass
class LabelOptions:
    """The task and its label set: all that phases 1-2 need of ``--task``."""

    options_panel = PANEL
    task: str = option(
        "mbti",
        help="mbti (four axes), single (one label, softmax), multi (several labels, sigmoid) "
        "or regression (sentence pairs -> score).",
        choices=tuple(TASKS),
    )
    labels: Path | None = option(
        None, help="single/multi: the label set, one label a line (default: from the data)."
    )
    label_sep: str = option(",", help="multi: separator of a delimited label string.")

    def __post_init__(self) -> None:
        if self.labels is not None and self.task not in ("single", "multi"):
            raise InputError("--labels needs --task single or multi", field="--labels")

    def check_label_set(self, field: str = "--task") -> None:
        """Phases 1-2 learn from sentences per label: a task without labels cannot have them."""
        if self.task == "regression":
            raise InputError(
                "phases 1-2 need a label set, and --task regression learns scores: label-"
                "description and masked sentences per label make no sense for scores",
                field=field,
            )


@dataclass
class TaskOptions(LabelOptions):
    """What is learnt from the label column, and how it is judged."""

    thresholds: str = option(
        "auto",
        help="mbti/multi cut-offs: static (0.5), dynamic (one per output, tuned on dev for its "
        "F1), global (one for all outputs, tuned on dev for micro-F1 once the class weights' shift "
        "is taken out of each output's score); auto: global for multi, "
        "static for mbti.",
        choices=THRESHOLD_MODES,
    )
    class_weights: bool = option(
        True, help="mbti/multi: pos_weight = negatives / positives per output."
    )
    score_range: str = option("0,5", help="regression: LOW,HIGH of valid scores.")
    binary_threshold: float | None = option(
        None, help="regression: add binary precision/recall/F1 at this score.", unbounded=True
    )
    pair_model: str = option(
        "auto",
        help="regression: cross-encoder (pair in one input), bi-encoder (cosine), or auto: bi "
        "for a sentence-transformers checkpoint (the bundled MiniLM), cross otherwise.",
        choices=("auto", "cross", "bi"),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.task != "regression":
            for name, value, default in (
                ("--binary-threshold", self.binary_threshold, None),
                ("--pair-model", self.pair_model, "auto"),
            ):
                if value != default:
                    raise InputError(f"{name} needs --task regression", field=name)
        parse_range(self.score_range)


def pair_model_for(opts: TaskOptions, model: str | Path | None) -> str:
    """``--pair-model`` with ``auto`` resolved for ``model`` (the encoder fine-tuned): a
    sentence-transformers checkpoint's cosine is already trained for similarity, so it is
    fine-tuned as a bi-encoder (STS-B, 10 % of train, bundled MiniLM: a cross-encoder built on
    it stayed below the untuned bi-encoder, 72.0 vs 82.0 Spearman)."""
    from schemas.models import is_sentence_transformers_checkpoint

    if opts.pair_model != "auto":
        return opts.pair_model
    return "bi" if is_sentence_transformers_checkpoint(model) else "cross"


def parse_range(text: str) -> tuple[float, float]:
    """``"0,5"`` -> ``(0.0, 5.0)``."""
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise InputError(
            f"--score-range must be LOW,HIGH (e.g. 0,5), got {text!r}", field="--score-range"
        ) from None
    if not low < high:
        raise InputError(f"--score-range needs LOW < HIGH, got {text!r}", field="--score-range")
    return low, high


def build_task(opts: TaskOptions, *, mask_types: bool = True) -> Task:
    """The (not yet fitted) task that ``opts`` describe."""
    labels = read_label_file(opts.labels).labels if opts.labels else ()
    if opts.task == "single":
        return SingleLabelTask(labels=labels)
    if opts.task == "multi":
        return MultiLabelTask(
            labels=labels,
            label_sep=opts.label_sep,
            thresholds=opts.thresholds,
            class_weights=opts.class_weights,
        )
    if opts.task == "regression":
        return RegressionTask(
            score_range=parse_range(opts.score_range), binary_threshold=opts.binary_threshold
        )
    return MbtiTask(
        thresholds=opts.thresholds, class_weights=opts.class_weights, mask_types=mask_types
    )
