"""Statistics over seeds: mean ± sd, and paired differences with a t-based confidence interval.

The study's question is whether MLM fine-tuning beats plain fine-tuning. With runs paired by
seed (same split, same data order), the per-seed difference ``mlm - plain`` cancels the split's
own variance; its mean gets a Student-t interval with ``n - 1`` degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy import stats as _scipy_stats

# Below this many paired seeds the interval is shown but no conclusion is drawn from it.
MIN_SEEDS_TO_CONCLUDE = 3


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (``ddof=1``; 0 for a single value) of ``n`` values."""

    mean: float
    sd: float
    n: int

    def format(self, scale: float = 100.0, digits: int = 2) -> str:
        """``"81.64 ± 0.52"`` (values scaled, e.g. to percent)."""
        if self.n == 0:
            return "–"
        if self.n == 1:
            return f"{self.mean * scale:.{digits}f}"
        return f"{self.mean * scale:.{digits}f} ± {self.sd * scale:.{digits}f}"

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class PairedDifference:
    """Mean of the paired differences ``a - b`` with a two-sided t confidence interval."""

    mean: float
    sd: float
    n: int
    ci_low: float
    ci_high: float
    confidence: float

    @property
    def enough_seeds(self) -> bool:
        return self.n >= MIN_SEEDS_TO_CONCLUDE

    @property
    def verdict(self) -> str:
        """``"a better"``, ``"b better"``, ``"no clear difference"`` or ``"too few seeds"``."""
        if not self.enough_seeds:
            return "too few seeds"
        if self.ci_low > 0:
            return "a better"
        if self.ci_high < 0:
            return "b better"
        return "no clear difference"

    def format(self, scale: float = 100.0, digits: int = 2) -> str:
        """``"+0.34 [-0.80, +1.48]"`` (the interval left out when it cannot be computed)."""
        if self.n == 0:
            return "–"
        text = f"{self.mean * scale:+.{digits}f}"
        if math.isfinite(self.ci_low):
            text += f" [{self.ci_low * scale:+.{digits}f}, {self.ci_high * scale:+.{digits}f}]"
        return text

    def to_dict(self) -> dict[str, float | int | str]:
        return {**asdict(self), "verdict": self.verdict}


def summarize(values: Sequence[float]) -> Summary:
    """Mean and sample sd of ``values`` (NaNs, e.g. an undefined AUC, are left out)."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(finite)
    if n == 0:
        return Summary(math.nan, math.nan, 0)
    mean = sum(finite) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1)) if n > 1 else 0.0
    return Summary(mean, sd, n)


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> PairedDifference:
    """Mean of ``a[i] - b[i]`` with a ``confidence`` t interval (NaN bounds when ``n < 2``)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} vs {len(b)}")
    diffs = summarize([x - y for x, y in zip(a, b, strict=True)])
    if diffs.n < 2:
        return PairedDifference(diffs.mean, diffs.sd, diffs.n, math.nan, math.nan, confidence)
    t = float(_scipy_stats.t.ppf(0.5 + confidence / 2, df=diffs.n - 1))
    half = t * diffs.sd / math.sqrt(diffs.n)
    return PairedDifference(
        diffs.mean, diffs.sd, diffs.n, diffs.mean - half, diffs.mean + half, confidence
    )
