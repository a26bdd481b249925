"""The embedded offline backend: log-odds vocabulary, slots, ranking, and the command offline."""

from __future__ import annotations

import json
import math

import datasets
import numpy as np
import pytest

from datagen.masked.offline.backend import OfflineBackend
from datagen.masked.offline.fit import fits
from datagen.masked.offline.type_texts import load_type_texts
from datagen.masked.offline.vocabulary import build_vocabulary, weighted_log_odds
from datagen.masked.stats import type_divergence
from schemas.io import validate_rows
from schemas.labels import MBTI
from schemas.records import MASK
from schemas.type_mentions import find_type_mentions
from tests.datagen.masked.offline_fixtures import articles_from_markdown


@pytest.fixture(scope="module")
def articles(tmp_path_factory, sample_dir):
    return articles_from_markdown(sample_dir / "articles", tmp_path_factory.mktemp("arts") / "a")


@pytest.fixture(scope="module")
def backend(articles):
    return OfflineBackend(load_type_texts(articles, "en"), "en")


@pytest.fixture(scope="module")
def base_rows(sample_dir):
    lines = (sample_dir / "base_sentences.txt").read_text(encoding="utf-8").splitlines()
    return [{"id": f"b{i:05d}", "text": t} for i, t in enumerate(lines[:24], start=1)]


def test_weighted_log_odds_is_antisymmetric_and_favours_the_richer_group():
    a, b = np.array([30.0, 5.0, 5.0]), np.array([5.0, 30.0, 5.0])
    prior = a + b
    z = weighted_log_odds(a, b, prior)
    assert np.allclose(z, -weighted_log_odds(b, a, prior))
    assert z[0] > 2 and z[1] < -2 and abs(z[2]) < 1e-9


def test_vocabulary_finds_each_types_words_and_fills_in_types_without_text():
    texts = {
        "ISTJ": ["I keep a schedule and a checklist for every schedule."] * 5,
        "ESTJ": ["The schedule and the checklist keep the team on time."] * 5,
        "INFP": ["I daydream about poetry and daydream about meaning."] * 5,
        "ENFP": ["Adventure and poetry and a spontaneous adventure."] * 5,
    }
    vocab = build_vocabulary(texts, "en", per_type=3)
    assert "schedule" in vocab.own["ISTJ"] and "daydream" in vocab.own["INFP"]
    assert vocab.score("ISTJ", "schedule") > 0 > vocab.score("ENFP", "schedule")
    # ISFJ has no text: its S and J poles still pull towards the schedule words
    assert vocab.score("ISFJ", "schedule") > vocab.score("ISFJ", "adventure")
    assert not any(find_type_mentions(w) for w in vocab.words)


def test_rows_are_valid_deterministic_and_differ_by_type(backend, base_rows):
    records, failures = backend.mask(base_rows)
    again, _ = backend.mask(base_rows)
    assert failures == [] and records == again
    assert [r["id"] for r in records] == [f"{b['id']}-{t}" for b in base_rows for t in MBTI.labels]
    validate_rows(datasets.Dataset.from_list(records), "masked", file="offline")
    by_base = {b["id"]: b["text"] for b in base_rows}
    for r in records:
        before, after = r["text"].split(MASK)
        original = by_base[r["base_id"]]
        assert original.startswith(before) and original.endswith(after)
        replaced = original[len(before) : len(original) - len(after)]
        words = [c["word"] for c in r["candidates"]]
        assert replaced.lower() not in words and not any(find_type_mentions(w) for w in words)
        assert math.isclose(sum(c["prob"] for c in r["candidates"]), 1.0, rel_tol=1e-6)
        assert r["target"] == words[0] and r["backend"] == "offline-heuristic"
        assert r["model"] == "logodds+all-MiniLM-L6-v2"
    stats = type_divergence(records, backend.vocabulary, base=by_base)
    assert stats["mean_jsd"] > 0.5
    assert min(stats["axis_top1_differs"].values()) > 0.3
    assert stats["slot_fit"]["all_candidates_fit"] >= 0.9
    own = stats["own_vocabulary"]
    # inflected fills ("scheduled" from "schedule") are outside the vocabulary and score 0
    assert own["share_own_higher"] > 0.6
    assert own["target_in_own_top_words"] > 3 * own["target_in_other_top_words"]


def test_korean_fills_are_korean_words(tmp_path, sample_dir):
    arts = articles_from_markdown(sample_dir / "ko", tmp_path / "ko")
    ko = OfflineBackend(load_type_texts(arts, "ko"), "ko")
    rows = [
        {"id": "k1", "text": "주말에는 보통 계획을 세우고 천천히 정리한다."},
        {"id": "k2", "text": "친구가 갑자기 연락하면 나는 바로 나가서 논다."},
    ]
    records, failures = ko.mask(rows)
    assert failures == [] and len(records) == 32
    for r in records:
        assert r["text"].count(MASK) == 1
        assert all("\uac00" <= c["word"][0] <= "\ud7a3" for c in r["candidates"])


def test_command_offline_says_it_is_not_an_llm(tmp_path, articles, sample_dir, datagen_in_process):
    base = tmp_path / "base.txt"
    lines = (sample_dir / "base_sentences.txt").read_text(encoding="utf-8").splitlines()[:6]
    base.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "masked"
    proc = datagen_in_process("masked-sentences", base, "--articles", articles, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "offline heuristic backend" in proc.stderr and "not an LLM" in proc.stderr
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == 6 * 16 and set(ds["backend"]) == {"offline-heuristic"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"] == "offline-heuristic"
    assert manifest["counts"]["failures"] == 0 and (out / "failures.jsonl").read_text() == ""
    assert manifest["type_divergence"]["own_vocabulary"]["share_own_higher"] > 0.5
    assert manifest["speed"]["rows_per_second"] > 0


@pytest.mark.parametrize(
    ("original", "before", "fill", "expected"),
    [
        ("find", "but I can always ", "organise", True),
        ("find", "but I can always ", "list", True),  # a verb too: the lexicon has no frequencies
        ("find", "but I can always ", "follows", False),  # inflection
        ("find", "but I can always ", "activity", False),  # a noun in a verb slot
        ("usually", "I ", "rarely", False),  # the antonym
        ("usually", "I ", "often", True),
        ("careful", "a ", "careless", False),
        ("happy", "", "unhappy", False),
        ("planned", "every day ", "scheduled", True),
    ],
)
def test_fit_is_part_of_speech_inflection_and_no_antonym(original, before, fill, expected):
    assert fits(original, fill, before) is expected
    assert fits(original, fill, before, lang="ko") is None


def test_offline_fills_fit_the_issues_slots(backend):
    rows = [
        {"id": "d", "text": "My desk is messy, but I can always find what I need."},
        {"id": "s", "text": "I usually pack my suitcase the night before we leave."},
    ]
    records, _ = backend.mask(rows)
    base = {r["id"]: r["text"] for r in rows}
    assert type_divergence(records, base=base)["slot_fit"]["all_candidates_fit"] == 1.0
    assert not {"rarely", "never", "seldom"} & {c["word"] for r in records for c in r["candidates"]}
