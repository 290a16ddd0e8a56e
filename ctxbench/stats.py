"""Intervals and tests that hold for the few repeats a sweep can afford.

Chosen by simulation (tests/test_stats.py checks coverage of the 95 % claim at n = 5 and n = 10):
- a mean of 0/1 values (success rates, pass/fail scores): Wilson with continuity correction. Plain
  Wilson covers only 91-92 % at n = 5-10 for p near 0.1; the percentile bootstrap 83 % at n = 5.
- any other mean: Student's t at the 97 % level. At 95 % it covers 92-93 % at n = 5 on skewed or
  bimodal scores bounded in [0, 1]; at 97 % it covers at least 94.5 % there (and more when normal).
- fewer than 2 values, or values that do not vary (and are not 0/1): no interval at all. A
  zero-width "interval" would claim certainty that one value cannot give.
- paired differences: a sign-flip test, exact (every sign pattern) below 20 pairs, seeded Monte
  Carlo above. With n pairs its smallest two-sided p is 2 / 2**n: 5 pairs can never reach 0.05.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
T_LEVEL = 0.97  # the level the t quantile is taken at; see the module docstring
EXACT_SIGN_FLIP_BELOW = 20
MONTE_CARLO_FLIPS = 100_000


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95 % interval (None where none holds) and what it rests on."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    method: str

    @property
    def has_interval(self) -> bool:
        return self.low is not None

    def render(self, digits: int = 3) -> str:
        if self.mean is None:
            return "—"
        interval = f" [{self.low:.{digits}f}, {self.high:.{digits}f}]" if self.has_interval else ""
        return f"{self.mean:.{digits}f}{interval} n={self.n}"


def mean_interval(values: Sequence[float], zero_one_is_rate: bool = True, at_most: float | None = None) -> Estimate:
    """zero_one_is_rate: values that are all 0 or 1 get the Wilson interval (False for differences,
    whose population may hold -1 even when the sample does not). at_most: a bound no value can pass
    (a score's 1.0); the interval is cut there, which never loses coverage."""
    data = np.asarray(values, dtype=float)
    n = int(data.size)
    if n == 0:
        return Estimate(None, None, None, 0, "none: no values")
    mean = float(data.mean())
    if n < 2:
        return Estimate(mean, None, None, n, "none: n < 2")
    if zero_one_is_rate and np.all((data == 0) | (data == 1)):
        return rate_interval([bool(v) for v in data])
    spread = float(data.std(ddof=1))
    if spread == 0:
        return Estimate(mean, None, None, n, "none: no variation")
    half = stats.t.ppf(1 - (1 - T_LEVEL) / 2, n - 1) * spread / np.sqrt(n)
    high = float(mean + half) if at_most is None else min(float(mean + half), at_most)
    return Estimate(mean, float(mean - half), high, n, "t")


def rate_interval(successes: Sequence[bool]) -> Estimate:
    """A success rate with its Wilson interval (continuity-corrected)."""
    n = len(successes)
    if n == 0:
        return Estimate(None, None, None, 0, "none: no values")
    k = int(sum(bool(s) for s in successes))
    if n < 2:
        return Estimate(k / n, None, None, n, "none: n < 2")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="wilsoncc")
    return Estimate(k / n, float(ci.low), float(ci.high), n, "wilson_cc")


@dataclass(frozen=True)
class SignFlipTest:
    p_value: float | None
    pairs: int
    method: str


def sign_flip_test(differences: Sequence[float], seed: int = 0) -> SignFlipTest:
    """Two-sided test of a zero mean difference, flipping the sign of each pair's difference."""
    diffs = np.asarray(differences, dtype=float)
    n = int(diffs.size)
    if n == 0:
        return SignFlipTest(None, 0, "none: no pairs")
    if not np.any(diffs):
        return SignFlipTest(1.0, n, "all differences 0")
    exact = n < EXACT_SIGN_FLIP_BELOW
    result = stats.permutation_test(
        (diffs,), np.mean, permutation_type="samples", vectorized=True,
        n_resamples=np.inf if exact else MONTE_CARLO_FLIPS, rng=np.random.default_rng(seed),
    )  # fmt: skip
    return SignFlipTest(float(result.pvalue), n, "exact sign-flip" if exact else "Monte Carlo sign-flip")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimate of pass@k from n samples of which c passed (Chen et al. 2021, eq. 1):
    1 - C(n-c, k) / C(n, k), computed as a product so large n does not overflow."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@{k} needs 1 <= k <= n and 0 <= c <= n (n={n}, c={c})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def paired_power(n: int, p_reference: float, p_other: float, alpha: float = 0.05) -> float:
    """Power of the exact sign-flip test on n pairs of 0/1 scores, the reference succeeding with
    p_reference and the other policy with p_other, independently within a pair (no positive
    correlation assumed: conservative). With 0/1 scores the test is the exact two-sided binomial
    test on the pairs that differ, so the power is an exact sum over how many differ and which way."""
    from scipy.stats import binom, binomtest

    up = p_other * (1 - p_reference)  # the other succeeds where the reference fails
    down = p_reference * (1 - p_other)
    differ = up + down
    if differ == 0:
        return 0.0
    power = 0.0
    for m in range(1, n + 1):  # pairs that differ
        weight_m = float(binom.pmf(m, n, differ))
        for k in range(m + 1):  # of which k favour the other policy
            if binomtest(k, m, 0.5).pvalue <= alpha:
                power += weight_m * float(binom.pmf(k, m, up / differ))
    return power


def smallest_detectable_gain(n: int, p_reference: float, power: float = 0.8, alpha: float = 0.05) -> float | None:
    """The smallest rise in success rate over p_reference that n pairs detect with the given power
    (steps of 0.01); None when even a rise to 1 is not enough."""
    for step in range(1, 101):
        p_other = p_reference + step / 100
        if p_other > 1:
            return None
        if paired_power(n, p_reference, p_other, alpha) >= power:
            return step / 100
    return None
