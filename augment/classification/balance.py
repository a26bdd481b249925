"""Classification mode's engine: gold posts + an unlabelled pool -> gold plus confident silver
rows, per-class accounting and a held-out precision estimate, in named stages (read, mask,
encode, search, teach, estimate, select, check, assemble). The command and its output are
:mod:`augment.classification.command`."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import datasets
import numpy as np

from augment.classification.config import BalanceConfig
from augment.classification.downstream import (
    KnownEmbeddings,
    linear_student_check,
    train_student_check,
)
from augment.classification.inputs import (
    Inputs,
    MaskCounts,
    Texts,
    every_author,
    mask_all,
    mask_texts,
    read_inputs,
)
from augment.classification.precision import (
    MIN_SUPPORT,
    ClassCutoff,
    PrecisionEstimate,
    estimate_precision,
    oof_proba,
)
from augment.classification.selection import Candidates, Selection, choose, find_candidates
from augment.classification.teachers import Teacher, default_teacher, make_teacher
from augment.common.paired import PairedResult
from augment.search.embeddings import embed_cached, embedder_for
from schemas.errors import InputError
from schemas.io import to_dataset
from schemas.text import exact_key

#: a function that encodes texts (rows of L2-normalised embeddings)
Encoder = Callable[[list[str]], np.ndarray]


class StageClock:
    """Wall seconds per stage: ``lap(name)`` closes the stage that ran since the last lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 2)
        self._last = now


@dataclass
class BalanceResult:
    dataset: datasets.Dataset
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    targets: dict[str, int]
    selection: Selection
    precision: PrecisionEstimate | None
    dropped: Counter
    #: ``--eval``: each student's gold vs gold + silver comparison, by name
    downstream: dict[str, PairedResult] | None = None
    pooled_authors: int = 0
    masked: dict[str, MaskCounts] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    teacher_name: str = ""
    embedder_name: str = ""
    #: the precision the embedder encoded in (``--encode-precision`` resolved: auto made concrete)
    encode_precision: str = ""
    pool_size: int = 0
    #: targets before ``--max-growth`` capped them, and the cap used (``inf``: none)
    requested: dict[str, int] = field(default_factory=dict)
    max_growth: float = math.inf
    #: wall seconds of each stage (encode, search, teacher, ...), in order
    seconds: dict[str, float] = field(default_factory=dict)

    def class_estimates(self) -> dict[str, ClassCutoff]:
        """Held-out precision / yield of each silver class at the confidence of the last
        silver row it took (its effective cut-off)."""
        if self.precision is None:
            return {}
        sel = self.selection
        out = {}
        for lab in dict.fromkeys(sel.labels):
            lowest = float(sel.scores[[i for i, x in enumerate(sel.labels) if x == lab]].min())
            out[lab] = self.precision.at_cutoff(lab, lowest)
        return out


def pool_by_group(probs: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Per group, the renormalised geometric mean of its rows' probabilities (for the axis
    teacher: the mean axis log-odds over an author's posts; MBTI type precision 0.12 -> 0.30)."""
    logp = np.log(np.clip(probs, 1e-6, 1.0))
    _, group, size = np.unique(np.asarray(groups, dtype=str), return_inverse=True,
                               return_counts=True)  # fmt: skip
    total = np.zeros((len(size), logp.shape[1]))
    np.add.at(total, group, logp)  # one pass: O(rows), not O(rows x groups)
    out = (total / size[:, None])[group]
    out = np.exp(out - out.max(axis=1, keepdims=True))
    out /= out.sum(axis=1, keepdims=True)
    return np.where(probs.sum(axis=1, keepdims=True) > 0, out, 0.0).astype(np.float32)


def teacher_factory(cfg: BalanceConfig, present: Sequence[str]) -> Callable[[], Teacher]:
    """A maker of fresh, untrained teachers of ``--teacher`` (``auto``: the default for
    gold's labels) over ``present``."""
    spec = default_teacher(present) if cfg.teacher == "auto" else cfg.teacher

    def new_teacher() -> Teacher:
        return make_teacher(
            spec, present, seed=cfg.seed, embedder=cfg.embedder, llm_labels=cfg.llm_labels
        )

    return new_teacher


def encode_precision(cfg: BalanceConfig) -> str:
    """The precision the embedder encodes in, with its runtime where that is not torch's
    (``bf16-openvino``; its model is loaded once: this is that one)."""
    from train.engine.encoding import precision_label

    enc = cfg.encoding
    model = embedder_for(cfg.embedder, enc.encode_precision, enc.device_list(), enc.encode_backend)
    return precision_label(model)


def encoder(cfg: BalanceConfig) -> Encoder:
    """The embedder's encoding, through the between-runs cache (``--cache``)."""

    def encode(texts: list[str]) -> np.ndarray:
        return embed_cached(
            texts,
            cfg.embedder,
            batch_size=cfg.batch_size,
            cache=cfg.cache,
            show_progress=cfg.progress,
            precision=cfg.encoding.encode_precision,
            backend=cfg.encoding.encode_backend,
            devices=cfg.encoding.device_list(),
        )

    return encode


def search(
    cfg: BalanceConfig, inputs: Inputs, texts: Texts, gold_emb: np.ndarray, pool_emb: np.ndarray
) -> Candidates:
    """Pool rows near the gold rows of the classes that need silver, de-duplicated against
    gold and within the pool (the drops are added to ``texts.dropped``); none left while a
    class needs silver is an :class:`InputError`."""
    gold_keys = [exact_key(t) for t in texts.gold]
    pool_keys = [exact_key(t) for t in texts.pool]
    cands = find_candidates(
        gold_emb, inputs.labels, set(gold_keys), pool_emb, pool_keys, inputs.needy,
        top_k=cfg.neighbours(), near_dup=cfg.near_duplicate, index=cfg.index, seed=cfg.seed,
    )  # fmt: skip
    texts.dropped.update(cands.dropped)
    if inputs.needy and not len(cands.pool_ids):
        raise InputError(
            "no pool text left after de-duplication against gold and within the pool "
            f"({', '.join(f'{why}: {n}' for why, n in sorted(texts.dropped.items()) if n)})",
            file=cfg.pool,
        )
    return cands


def pool_authors(cfg: BalanceConfig, inputs: Inputs, texts: Texts) -> list[str] | None:
    """The author of each usable pool text when ``--author-pooling`` and every pool row has
    one; else ``None``."""
    every = every_author(inputs.pool, cfg.author_col) if cfg.author_pooling else None
    return [every[i] for i in texts.usable] if every else None


def teach(
    teacher: Teacher,
    texts: Texts,
    y: np.ndarray,
    gold_emb: np.ndarray,
    pool_emb: np.ndarray,
    cands: Candidates,
    authors: list[str] | None,
) -> np.ndarray:
    """Fit ``teacher`` on gold; its probabilities for the candidates (averaged over each pool
    author's posts when ``authors`` are given)."""
    teacher.fit(gold_emb, texts.gold, y)
    if authors is not None:
        probs = teacher.predict_proba(pool_emb, texts.pool)
        return pool_by_group(probs, authors)[cands.pool_ids]
    ids = cands.pool_ids
    return teacher.predict_proba(pool_emb[ids], [texts.pool[i] for i in ids])


def estimate(
    cfg: BalanceConfig,
    inputs: Inputs,
    new_teacher: Callable[[], Teacher],
    texts: Texts,
    y: np.ndarray,
    gold_emb: np.ndarray,
    pooled: bool,
) -> PrecisionEstimate | None:
    """Held-out precision of the teacher on gold (``--folds``-fold, grouped by author when gold
    has authors, author-pooled like the pool when ``pooled``); ``None`` with fewer than two
    folds or no class needing silver."""
    if cfg.folds < 2 or not inputs.needy:
        return None
    gold_authors = every_author(inputs.gold, cfg.author_col)
    folds = min(cfg.folds, len(inputs.labels))
    oof = oof_proba(
        new_teacher, gold_emb, texts.gold, y, folds=folds, seed=cfg.seed, groups=gold_authors
    )
    if pooled and gold_authors is not None:
        oof = pool_by_group(oof, gold_authors)
    return estimate_precision(
        oof, y, inputs.present, inputs.needy, threshold=cfg.threshold or 0.0, folds=folds
    )


def class_cutoffs(
    cfg: BalanceConfig, needy: Sequence[str], precision: PrecisionEstimate | None
) -> tuple[dict[str, float], dict[str, str]]:
    """Per class needing silver, its confidence cut-off (``--threshold``, raised to reach
    ``--min-precision`` on held-out gold; ``inf``: never reached) and a note saying why."""
    cutoffs = {lab: cfg.threshold or 0.0 for lab in needy}
    notes: dict[str, str] = {}
    if cfg.min_precision is None or precision is None:
        return cutoffs, notes
    for lab in needy:
        cut = precision.cutoff_for(lab, cfg.min_precision)
        if cut.cutoff is None:
            cutoffs[lab] = math.inf
            best = "n/a" if cut.best_precision is None else f"{cut.best_precision:.2f}"
            notes[lab] = (
                f"held-out precision of {lab} stays below {cfg.min_precision:g} at every "
                f"cut-off (best {best} with >= {MIN_SUPPORT} held-out rows)"
            )
        else:
            cutoffs[lab] = max(cutoffs[lab], cut.cutoff)
            notes[lab] = f"held-out precision {cut.precision:.2f} at p >= {cut.cutoff:.3f}"
    return cutoffs, notes


def check_downstream(
    cfg: BalanceConfig,
    inputs: Inputs,
    texts: Texts,
    cands: Candidates,
    sel: Selection,
    test: tuple[list[str], list[str]],
    gold_emb: np.ndarray,
    pool_emb: np.ndarray,
    encode: Encoder,
) -> dict[str, PairedResult]:
    """``--eval``: each student on gold vs gold + the chosen silver, scored on ``test``
    (texts, labels): the linear students, and with ``--eval-student train`` the fine-tuned
    embedder (``train``)."""
    silver_rows = cands.pool_ids[sel.positions]
    silver = ([texts.pool[i] for i in silver_rows], sel.labels)
    test_texts = mask_all(test[0], cfg.mask_types)[0]
    seeds = range(cfg.seed, cfg.seed + cfg.eval_seeds)
    known = KnownEmbeddings(
        [*texts.gold, *silver[0], *test_texts],
        np.concatenate([gold_emb, pool_emb[silver_rows], encode(test_texts)]),
    )
    out = linear_student_check(
        (texts.gold, inputs.labels), silver, (test_texts, test[1]), inputs.present, seeds, known
    )
    if cfg.eval_student == "train":
        out["train"] = train_student_check(
            (texts.gold, inputs.labels), silver, (test_texts, test[1]), inputs.present, seeds,
            embedder=cfg.embedder, progress=cfg.progress, max_steps=cfg.eval_max_steps,
        )  # fmt: skip
    return out


def silver_rows(
    cfg: BalanceConfig,
    inputs: Inputs,
    texts: Texts,
    cands: Candidates,
    sel: Selection,
    query_ids: Sequence[str],
) -> tuple[list[dict], MaskCounts]:
    """The chosen silver rows (``silver_query_id``: the id of the gold row that found each,
    from ``query_ids``) and the type mentions masked in them."""
    pool = inputs.pool
    pool_ids = pool["id"] if "id" in pool.column_names else None
    authors = pool[cfg.author_col] if cfg.author_col in pool.column_names else None
    masked, rows = MaskCounts(), []
    for pos, lab, score, query in zip(
        sel.positions, sel.labels, sel.scores, sel.query_rows, strict=True
    ):
        p = int(cands.pool_ids[pos])
        src = texts.usable[p]
        pid = str(pool_ids[src]) if pool_ids is not None else f"pool-{src + 1}"
        masked.rows += int(texts.pool_masked[p] > 0)
        masked.mentions += texts.pool_masked[p]
        rows.append(
            {
                "id": f"silver-{pid}",
                "text": texts.pool[p],
                "label": lab,
                "author": str(authors[src]) if authors is not None else None,
                "is_silver": True,
                "silver_score": float(score),
                "silver_query_id": query_ids[int(query)],
            }
        )
    return rows, masked


def gold_rows(gold: datasets.Dataset, texts: list[str], labels: list[str]) -> list[dict]:
    """Gold's output rows (masked texts), in gold's order."""
    ids = gold["id"] if "id" in gold.column_names else None
    authors = gold["author"] if "author" in gold.column_names else None
    return [
        {
            "id": str(ids[i]) if ids is not None else f"gold-{i + 1}",
            "text": texts[i],
            "label": labels[i],
            "author": str(authors[i]) if authors is not None and authors[i] is not None else None,
            "is_silver": False,
            "silver_score": None,
            "silver_query_id": None,
        }
        for i in range(len(texts))
    ]


def balance(cfg: BalanceConfig) -> BalanceResult:
    """Run search, teacher and selection; return gold + silver as a ``posts`` data set."""
    clock = StageClock()
    inputs = read_inputs(cfg)
    new_teacher = teacher_factory(cfg, inputs.present)
    new_teacher()  # a bad --teacher fails before any encoding
    texts = mask_texts(cfg, inputs)
    clock.lap("read + mask")
    encode = encoder(cfg)
    gold_emb, pool_emb = encode(texts.gold), encode(texts.pool)
    clock.lap("encode")
    cands = search(cfg, inputs, texts, gold_emb, pool_emb)
    clock.lap("search + de-duplication")
    y = inputs.class_ids(inputs.labels)
    authors = pool_authors(cfg, inputs, texts)
    teacher = new_teacher()
    probs = teach(teacher, texts, y, gold_emb, pool_emb, cands, authors)
    clock.lap("teacher")
    precision = estimate(cfg, inputs, new_teacher, texts, y, gold_emb, authors is not None)
    cutoffs, notes = class_cutoffs(cfg, inputs.needy, precision)
    clock.lap("precision estimate")
    sel = choose(
        cands, probs, inputs.present, inputs.counts, inputs.targets, cutoffs,
        equal_quota=cfg.equal_quota,
    )  # fmt: skip
    for lab, note in notes.items():
        sel.per_class[lab].cutoff_note = note
    downstream = None
    if inputs.test is not None:
        downstream = check_downstream(
            cfg, inputs, texts, cands, sel, inputs.test, gold_emb, pool_emb, encode
        )
    clock.lap("selection + downstream check")
    rows = gold_rows(inputs.gold, texts.gold, inputs.labels)
    silver, silver_mask = silver_rows(cfg, inputs, texts, cands, sel, [r["id"] for r in rows])
    after = Counter(inputs.counts)
    after.update(sel.labels)
    label_set = inputs.label_set
    return BalanceResult(
        dataset=to_dataset(rows + silver, "posts"),
        counts_before=inputs.counts,
        counts_after={lab: after[lab] for lab in inputs.present},
        targets=inputs.targets,
        selection=sel,
        precision=precision,
        dropped=texts.dropped,
        downstream=downstream,
        pooled_authors=len(set(authors)) if authors else 0,
        masked={**texts.masked, "silver": silver_mask},
        absent=[lab for lab in label_set.labels if lab not in inputs.counts]
        if label_set.has_axes
        else [],
        teacher_name=teacher.name,
        embedder_name=cfg.embedder or "bundled:all-MiniLM-L6-v2",
        encode_precision=encode_precision(cfg),
        pool_size=len(inputs.pool),
        requested=inputs.requested,
        max_growth=inputs.max_growth,
        seconds=clock.seconds,
    )
