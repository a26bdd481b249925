"""Mean ± sd over seeds and paired differences with a t interval."""

from __future__ import annotations

import math

import pytest

from train.study.stats import MIN_SEEDS_TO_CONCLUDE, paired_difference, summarize


def test_summarize_uses_sample_sd_and_skips_nan() -> None:
    s = summarize([0.80, 0.82, math.nan, 0.84])
    assert s.n == 3
    assert s.mean == pytest.approx(0.82)
    assert s.sd == pytest.approx(0.02)
    assert s.format() == "82.00 ± 2.00"


def test_summarize_single_and_empty() -> None:
    assert summarize([0.5]).sd == 0.0
    assert summarize([0.5]).format() == "50.00"
    assert summarize([]).n == 0
    assert summarize([]).format() == "–"


def test_paired_difference_matches_hand_computed_t_interval() -> None:
    a = [0.81, 0.83, 0.82, 0.84]
    b = [0.80, 0.80, 0.81, 0.82]
    d = paired_difference(a, b)
    diffs = [0.01, 0.03, 0.01, 0.02]
    mean = sum(diffs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in diffs) / 3)
    half = 3.182446305284263 * sd / 2  # t(0.975, df=3)
    assert d.mean == pytest.approx(mean)
    assert d.ci_low == pytest.approx(mean - half)
    assert d.ci_high == pytest.approx(mean + half)
    assert d.verdict == "a better"
    assert d.format().startswith("+1.75 [")


def test_paired_difference_verdicts() -> None:
    worse = paired_difference([0.70, 0.71, 0.70], [0.80, 0.82, 0.81])
    assert worse.verdict == "b better"
    mixed = paired_difference([0.80, 0.70, 0.90], [0.79, 0.81, 0.80])
    assert mixed.ci_low < 0 < mixed.ci_high
    assert mixed.verdict == "no clear difference"


def test_too_few_seeds_give_no_verdict() -> None:
    two = paired_difference([0.9, 0.91], [0.5, 0.52])
    assert two.n == 2 < MIN_SEEDS_TO_CONCLUDE
    assert math.isfinite(two.ci_low)
    assert two.verdict == "too few seeds"
    one = paired_difference([0.9], [0.5])
    assert math.isnan(one.ci_low)
    assert one.format() == "+40.00"


def test_paired_difference_rejects_unpaired_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_difference([0.1, 0.2], [0.1])
