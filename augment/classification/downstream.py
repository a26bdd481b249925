"""The downstream check of classification mode (``--eval TEST``): a student trained on gold and
on gold + silver, over several seeds, scored by macro-F1 on a labelled test file; the paired
difference with a t interval."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import datasets
import numpy as np

from augment.common.paired import PairedResult
from schemas.errors import InputError
from schemas.io import read_table

#: The students of ``--eval-student`` and what one seed of each does (the report says it).
STUDENTS = {
    "embed": "Each seed trains the student (logistic regression on frozen embeddings) on a "
    "bootstrap sample of gold, and on the same sample plus a bootstrap sample of the silver; "
    "the difference is paired.",
    "train": "Each seed splits gold (stratified by label, by row) into 80 % train and 20 % dev "
    "and fine-tunes the embedder with `train`'s trainer (`single` task, its default training "
    "options or `--eval-max-steps` steps) on the gold train part, and on the same part plus "
    "every silver row; both arms pick their checkpoint on the same dev part, so the "
    "difference is paired.",
}


def read_eval(
    path: Path, text_col: str, label_col: str, known: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Texts and labels of the test file; every label must be a gold label."""
    table = read_table(
        path, columns={"text": text_col, "label": label_col}, required=["text", "label"]
    )
    texts, labels = [], []
    for row, (text, label) in enumerate(zip(table["text"], table["label"], strict=True), start=1):
        if not isinstance(text, str) or not text.strip():
            raise InputError("empty or missing text", file=path, row=row, field=text_col)
        label = str(label).strip()
        if label not in known:
            raise InputError(
                f"label {label!r} is not among the gold labels ({', '.join(known)})",
                file=path,
                row=row,
                field=label_col,
            )
        texts.append(text)
        labels.append(label)
    if not texts:
        raise InputError("no test rows", file=path)
    return texts, labels


def embed_student_check(
    gold_emb: np.ndarray,
    gold_y: np.ndarray,
    silver_emb: np.ndarray,
    silver_y: np.ndarray,
    test_emb: np.ndarray,
    test_y: np.ndarray,
    seeds: Sequence[int],
) -> PairedResult:
    """Logistic regression on frozen embeddings (the fast CPU student). Seed ``s`` draws one
    bootstrap sample of gold and one of silver; both arms share the gold sample, so the
    difference is paired. Macro-F1 x 100 on the test rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    labels = np.unique(np.r_[gold_y, test_y])
    gold_arm, silver_arm = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        g = rng.integers(0, len(gold_y), len(gold_y))
        s = rng.integers(0, len(silver_y), len(silver_y))
        for arm, (x, y) in (
            (gold_arm, (gold_emb[g], gold_y[g])),
            (silver_arm, (np.r_[gold_emb[g], silver_emb[s]], np.r_[gold_y[g], silver_y[s]])),
        ):
            model = LogisticRegression(max_iter=3000, random_state=seed).fit(x, y)
            pred = model.predict(test_emb)
            arm.append(100 * f1_score(test_y, pred, labels=labels, average="macro"))
    return PairedResult(
        "macro_f1",
        list(seeds),
        gold_arm,
        silver_arm,
        n_train_a=[len(gold_y)] * len(gold_arm),
        n_train_b=[len(gold_y) + len(silver_y)] * len(silver_arm),
    )


def student_splits(
    gold: datasets.Dataset, silver: datasets.Dataset, seed: int
) -> tuple[datasets.Dataset, datasets.Dataset, datasets.Dataset]:
    """Seed ``seed``'s training sets of arm a (80 % of gold) and arm b (the same rows, then
    every silver row) and their shared dev set (the other 20 % of gold).

    ``train``'s splitter, stratified by label; by row, not by author: a by-author dev could
    take a small class's only author out of training.
    """
    from train.tasks.splits import split_posts

    parts = split_posts(gold, dev=0.2, test=0.0, seed=seed)
    train = parts["train"]
    return train, datasets.concatenate_datasets([train, silver]), parts["dev"]


def train_student_check(
    gold: tuple[Sequence[str], Sequence[str]],
    silver: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    labels: Sequence[str],
    seeds: Sequence[int],
    *,
    embedder: str | None,
    progress: bool,
    max_steps: int | None = None,
) -> PairedResult:
    """``train``'s own fine-tuning as the student: per seed, a :class:`SingleLabelTask` over
    ``labels`` (gold's label order; for MBTI gold, the 16 types as 16 plain labels, not the
    four axes) fine-tuned from ``embedder`` (``None``: the bundled MiniLM) with
    :class:`~train.engine.args.TrainArgs`' defaults (``seed`` = the seed, max_length 128;
    ``max_steps``: its ``max_steps``, else 3 epochs and at least 200 steps) on the splits of
    :func:`student_splits`; silver rows carry ``is_silver`` (weight 1).
    ``gold``/``silver``/``test``: (texts, labels). Macro-F1 x 100 on ``test`` (the task's
    own: over the labels in the test rows or the predictions). Checkpoints go to a
    temporary directory, removed afterwards. The Trainer's warnings stay off the console
    (e.g. transformers' notice that checkpoints saved under a second apart have unreliable
    mtimes): they are not the user's to act on."""
    from schemas.models import resolve_model
    from train.engine.args import TrainArgs
    from train.engine.logs import no_progress_bars, quiet_loading
    from train.engine.trainer import checkpoint_dir
    from train.phases.phase3 import finetune
    from train.tasks.columns import TaskData
    from train.tasks.single import SingleLabelTask

    def rows(texts: Sequence[str], labs: Sequence[str], is_silver: bool) -> datasets.Dataset:
        return datasets.Dataset.from_dict(
            {"text": list(texts), "label": list(labs), "is_silver": [is_silver] * len(texts)},
            features=datasets.Features(
                text=datasets.Value("string"),
                label=datasets.Value("string"),
                is_silver=datasets.Value("bool"),
            ),
        )

    gold_ds, silver_ds, test_ds = rows(*gold, False), rows(*silver, True), rows(*test, False)
    task = SingleLabelTask(labels=tuple(labels))
    init = resolve_model(embedder)
    arms: tuple[list[float], list[float]] = ([], [])
    sizes: tuple[list[int], list[int]] = ([], [])
    with (
        tempfile.TemporaryDirectory(prefix="augment-student-") as work,
        no_progress_bars(),
        quiet_loading(),
    ):
        for seed in seeds:
            train_a, train_b, dev = student_splits(gold_ds, silver_ds, seed)
            for arm, (name, train) in enumerate((("gold", train_a), ("gold + silver", train_b))):
                source = f"{name}, seed {seed}"
                data = TaskData(task.fit(train, file=source), train, dev, test_ds, source)
                out = Path(work) / f"seed{seed}-arm{arm}"
                args = TrainArgs(
                    seed=seed, progress=progress, max_length=128, max_steps=max_steps or -1
                )
                result = finetune(data, init, out, args)
                arms[arm].append(100 * float(result.metrics["macro_f1"]))
                sizes[arm].append(int(result.metrics["n_train"]))
                del result
                shutil.rmtree(checkpoint_dir(out), ignore_errors=True)
    return PairedResult(
        "macro_f1", list(seeds), arms[0], arms[1], n_train_a=sizes[0], n_train_b=sizes[1]
    )
