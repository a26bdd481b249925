"""The downstream check of classification mode (``--eval TEST``): students trained on gold and
on gold + silver, over several seeds, scored by macro-F1 on a labelled test file; per student
the paired difference with a t interval. The linear students are ``train all``'s own cheap
arms (:mod:`train.tasks.baselines`), so a gain reported here is a gain for those arms."""

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

#: The second regularisation strength of the frozen-embedding student (scikit-learn's ``C``;
#: the frozen arm's is 1): weaker, as a user who tunes ``C`` on 200 gold rows may pick, and
#: where the gain on the tweets was last seen to flip (C = 2: 30.9 -> 30.4).
WEAK_C = 4.0

#: The cheap students of every ``--eval``: name -> (features, ``C``, what it is).
LINEAR_STUDENTS = {
    "frozen": ("frozen", 1.0, "the frozen-encoder arm of `train all`: logistic regression "
               "(C = 1) on the embedder's frozen, mean-pooled, normalised embeddings"),
    f"frozen_c{WEAK_C:g}": ("frozen", WEAK_C, f"the same at C = {WEAK_C:g} (weaker "
                            "regularisation)"),
    "tfidf": ("tfidf", 1.0, "`train all`'s TF-IDF baseline: word 1-2-gram TF-IDF + logistic "
              "regression (C = 1)"),
}  # fmt: skip

#: What the ``train`` student is (``--eval-student train``).
FINETUNED = "the embedder fine-tuned by `train`'s trainer (`single` task)"


def student_description(name: str) -> str:
    """What the student ``name`` (a :data:`LINEAR_STUDENTS` key or ``train``) is."""
    return FINETUNED if name == "train" else LINEAR_STUDENTS[name][2]


#: The students of ``--eval-student`` and what one seed of each does (the report says it).
STUDENTS = {
    "linear": "Each seed draws a bootstrap sample of gold and one of the silver; every linear "
    "student (below) is trained on the gold sample, and on the same sample plus the silver "
    "sample; the difference is paired. A bootstrap sample holds ~63 % of gold's distinct rows, "
    "so its students are weaker than one trained on all of gold and gain more from silver: "
    "the column 'all of gold' is each student trained once on all of gold and on all of gold "
    "+ all of silver (your case; one run, no interval).",
    "train": "As `linear`, and `train`'s own fine-tuning as one more student: each seed splits "
    "gold (stratified by label, by row) into 80 % train and 20 % dev and fine-tunes the "
    "embedder with `train`'s trainer (`single` task, its default training options or "
    "`--eval-max-steps` steps) on the gold train part, and on the same part plus every silver "
    "row; both arms pick their checkpoint on the same dev part, so the difference is paired.",
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


class KnownEmbeddings:
    """:class:`~train.tasks.baselines.FrozenEncoder`'s ``embed`` over embeddings this run
    already made with the same frozen embedder (each text is encoded once)."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.dim = vectors.shape[1]
        self.vectors = dict(zip(texts, vectors, strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])


def _posts(texts: Sequence[str], labels: Sequence[str], is_silver: bool) -> datasets.Dataset:
    return datasets.Dataset.from_dict(
        {"text": list(texts), "label": list(labels), "is_silver": [is_silver] * len(texts)},
        features=datasets.Features(
            text=datasets.Value("string"),
            label=datasets.Value("string"),
            is_silver=datasets.Value("bool"),
        ),
    )


def linear_student_check(
    gold: tuple[Sequence[str], Sequence[str]],
    silver: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    labels: Sequence[str],
    seeds: Sequence[int],
    encoder: KnownEmbeddings,
) -> dict[str, PairedResult]:
    """Every :data:`LINEAR_STUDENTS` student, by `train all`'s own baselines
    (:func:`~train.tasks.baselines.frozen_baseline`, :func:`~train.tasks.baselines.tfidf_baseline`
    on a :class:`SingleLabelTask` over ``labels``, no dev split). Seed ``s`` draws one
    bootstrap sample of gold and one of silver, shared by every student; both arms share the
    gold sample, so each difference is paired. Once more on all of gold and all of silver
    (:attr:`PairedResult.all_gold`: the user's case). ``gold``/``silver``/``test``: (texts, labels);
    ``encoder`` knows the embeddings of all their texts. Macro-F1 x 100 on ``test``."""
    from train.tasks.baselines import frozen_baseline, tfidf_baseline
    from train.tasks.columns import TaskData
    from train.tasks.single import SingleLabelTask

    gold_ds, silver_ds, test_ds = _posts(*gold, False), _posts(*silver, True), _posts(*test, False)
    no_dev = test_ds.select([])
    task = SingleLabelTask(labels=tuple(labels))

    def arms(g: datasets.Dataset, s: datasets.Dataset, seed: int, what: str) -> dict:
        """Per student, the macro-F1 x 100 of ``g`` and of ``g + s``."""
        out: dict[str, list[float]] = {n: [] for n in LINEAR_STUDENTS}
        for name, train in (("gold", g), ("gold + silver", datasets.concatenate_datasets([g, s]))):
            source = f"{name}, {what}"
            data = TaskData(task.fit(train, file=source), train, no_dev, test_ds, source)
            for student, (features, c, _) in LINEAR_STUDENTS.items():
                if features == "frozen":
                    result = frozen_baseline(data, encoder, seed=seed, c=c)
                else:
                    result = tfidf_baseline(data, seed=seed, c=c)
                out[student].append(100 * float(result.metrics["macro_f1"]))
        return out

    whole = arms(gold_ds, silver_ds, seeds[0], "all rows")
    resampled, sizes = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        g = gold_ds.select(rng.integers(0, len(gold_ds), len(gold_ds)))
        s = silver_ds.select(
            rng.integers(0, len(silver_ds), len(silver_ds)) if len(silver_ds) else []
        )
        resampled.append(arms(g, s, seed, f"seed {seed}"))
        sizes.append((len(g), len(g) + len(s)))
    return {
        name: PairedResult(
            "macro_f1",
            list(seeds),
            [r[name][0] for r in resampled],
            [r[name][1] for r in resampled],
            n_train_a=[a for a, _ in sizes],
            n_train_b=[b for _, b in sizes],
            all_gold=(whole[name][0], whole[name][1]),
        )
        for name in LINEAR_STUDENTS
    }


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

    gold_ds, silver_ds, test_ds = _posts(*gold, False), _posts(*silver, True), _posts(*test, False)
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
