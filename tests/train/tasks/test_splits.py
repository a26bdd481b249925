"""Splits: by author with no author in two splits, silver only in train, stratified by label."""

from __future__ import annotations

import datasets
import pytest

from schemas.errors import InputError
from train.tasks.splits import assign_splits, split_posts


def _posts(n_authors: int = 60, per_author: int = 4, silver: int = 10) -> datasets.Dataset:
    types = ["INFP", "ESTJ", "INTJ", "ENFP"]
    rows = [
        {
            "id": f"p{a}-{i}",
            "author": f"u{a}",
            "text": "x",
            "label": types[a % 4],
            "is_silver": False,
        }
        for a in range(n_authors)
        for i in range(per_author)
    ]
    rows += [
        {"id": f"s{i}", "author": f"u{i}", "text": "x", "label": "INFP", "is_silver": True}
        for i in range(silver)
    ]
    return datasets.Dataset.from_list(rows)


def test_no_author_in_two_splits_and_fractions_hold():
    splits = split_posts(_posts(), dev=0.1, test=0.2, seed=3)
    authors = {s: set(d.filter(lambda r: not r["is_silver"])["author"]) for s, d in splits.items()}
    assert not authors["train"] & authors["dev"]
    assert not authors["train"] & authors["test"]
    assert not authors["dev"] & authors["test"]
    n_gold = 240
    assert abs(len(splits["test"]) / n_gold - 0.2) < 0.06
    assert abs(len(splits["dev"]) / n_gold - 0.1) < 0.06
    for name in ("dev", "test"):  # stratified: every label present
        assert set(splits[name]["label"]) == {"INFP", "ESTJ", "INTJ", "ENFP"}


def test_silver_only_in_train_and_dropped_when_its_author_is_held_out():
    splits = split_posts(_posts(), seed=1)
    assert not any(splits["dev"]["is_silver"]) and not any(splits["test"]["is_silver"])
    held_out = set(splits["dev"]["author"]) | set(splits["test"]["author"])
    silver_train = splits["train"].filter(lambda r: r["is_silver"])
    assert not set(silver_train["author"]) & held_out
    expected = sum(1 for i in range(10) if f"u{i}" not in held_out)
    assert len(silver_train) == expected


def test_without_authors_rows_are_split_stratified_and_deterministic():
    ds = _posts(silver=0).remove_columns("author")
    a = split_posts(ds, seed=5)
    b = split_posts(ds, seed=5)
    c = split_posts(ds, seed=6)
    assert a["test"]["id"] == b["test"]["id"]
    assert a["test"]["id"] != c["test"]["id"]
    assert sum(len(d) for d in a.values()) == len(ds)
    counts = {lab: a["test"]["label"].count(lab) for lab in set(ds["label"])}
    assert all(10 <= c <= 14 for c in counts.values()), counts


def test_bad_fractions_are_input_errors():
    with pytest.raises(InputError):
        assign_splits(["a"], ["g"], dev=0.6, test=0.5, seed=0)
