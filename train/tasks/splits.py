"""Train/dev/test splits: by group (author, article, base sentence), stratified by label.

Within each label, groups are shuffled and laid out on [0, 1) in proportion to their row
counts, with a random rotation per label (systematic sampling); a group goes to the split
its midpoint falls in. Fractions therefore hold in expectation even for rare labels, and no
group is ever in two splits.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

import datasets

from schemas.errors import InputError

SPLITS = ("train", "dev", "test")


def assign_splits(
    strata: Sequence[str | None],
    groups: Sequence[str],
    *,
    dev: float,
    test: float,
    seed: int,
) -> list[str]:
    """The split name of every row; rows of one group always share a split."""
    if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
        raise InputError(f"split fractions dev={dev}, test={test} must be in [0, 1) with sum < 1")
    group_stratum: dict[str, str | None] = {}
    size: dict[str, int] = defaultdict(int)
    for stratum, group in zip(strata, groups, strict=True):
        group_stratum.setdefault(group, stratum)
        size[group] += 1
    by_stratum: dict[str | None, list[str]] = defaultdict(list)
    for group, stratum in group_stratum.items():
        by_stratum[stratum].append(group)
    rng = random.Random(seed)
    split_of: dict[str, str] = {}
    for stratum in sorted(by_stratum, key=str):
        members = sorted(by_stratum[stratum])
        rng.shuffle(members)
        total = sum(size[g] for g in members)
        offset, cum = rng.random(), 0
        for g in members:
            pos = ((cum + size[g] / 2) / total + offset) % 1.0
            cum += size[g]
            split_of[g] = "test" if pos < test else "dev" if pos < test + dev else "train"
    return [split_of[g] for g in groups]


def split_posts(
    ds: datasets.Dataset,
    dev: float = 0.1,
    test: float = 0.2,
    seed: int = 0,
    strata: Sequence[str] | None = None,
) -> dict[str, datasets.Dataset]:
    """Split posts into train/dev/test.

    By author when an ``author`` column has values (rows without one are their own group),
    else by row; stratified by label (or by ``strata``, one value per row, e.g. a binned
    score). Silver rows (``is_silver``) only ever go to train, and a silver row whose author
    is in dev/test is dropped.
    """
    n = len(ds)
    if strata is not None:
        labels = list(strata)
    else:
        labels = ds["label"] if "label" in ds.column_names else [None] * n
    silver = ds["is_silver"] if "is_silver" in ds.column_names else [False] * n
    authors = ds["author"] if "author" in ds.column_names else [None] * n
    ids = ds["id"] if "id" in ds.column_names else [str(i) for i in range(n)]
    groups = [
        f"author:{a}" if a else f"row:{i}:{r}"
        for i, (a, r) in enumerate(zip(authors, ids, strict=True))
    ]
    gold = [i for i in range(n) if not silver[i]]
    gold_split = assign_splits(
        [str(labels[i]).upper() for i in gold],
        [groups[i] for i in gold],
        dev=dev,
        test=test,
        seed=seed,
    )
    split_of_group = {groups[i]: s for i, s in zip(gold, gold_split, strict=True)}
    rows: dict[str, list[int]] = {s: [] for s in SPLITS}
    for i, s in zip(gold, gold_split, strict=True):
        rows[s].append(i)
    for i in range(n):
        if silver[i] and split_of_group.get(groups[i], "train") == "train":
            rows["train"].append(i)
    return {s: ds.select(sorted(idx)) for s, idx in rows.items()}


def subsample(
    ds: datasets.Dataset, fraction: float, *, strata: Sequence[str], seed: int
) -> datasets.Dataset:
    """``fraction`` of ``ds``'s rows (whole authors where there are any; stratified), for the
    low-data curve; ``ds`` itself at 1."""
    if fraction >= 1:
        return ds
    authors = ds["author"] if "author" in ds.column_names else [None] * len(ds)
    groups = [str(a) if a else f"row:{i}" for i, a in enumerate(authors)]
    keep = assign_splits(
        [str(s).upper() for s in strata], groups, dev=0.0, test=1 - fraction, seed=seed
    )
    return ds.select([i for i, s in enumerate(keep) if s == "train"])
