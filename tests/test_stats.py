"""The intervals and the paired test hold for the n a sweep has: coverage is simulated, not assumed."""

import itertools

import numpy as np
import pytest
from scipy import stats as scipy_stats

from ctxbench.stats import mean_interval, rate_interval, sign_flip_test

REPLICATES = 4000
MIN_COVERAGE = 0.93


# Score distributions on [0, 1] like those tasks produce: skewed, bimodal, and failures (0) mixed
# with partial credit. The mean of each is known exactly.
def zeros_else_uniform(share: float):
    return lambda rng, size: np.where(rng.random(size) < share, 0.0, rng.uniform(0.3, 0.9, size))


CONTINUOUS = {
    "uniform": (lambda rng, size: rng.uniform(0, 1, size), 0.5),
    "beta(2,5) skewed low": (lambda rng, size: rng.beta(2, 5, size), 2 / 7),
    "beta(8,2) skewed high": (lambda rng, size: rng.beta(8, 2, size), 0.8),
    "beta(.5,.5) bimodal": (lambda rng, size: rng.beta(0.5, 0.5, size), 0.5),
    "60% zeros, else U(.3,.9)": (zeros_else_uniform(0.6), 0.4 * 0.6),
    "20% zeros, else U(.3,.9)": (zeros_else_uniform(0.2), 0.8 * 0.6),
}  # fmt: skip


def covered(estimate, truth: float) -> bool:
    return estimate.has_interval and estimate.low <= truth <= estimate.high


@pytest.mark.parametrize("n", [5, 10])
@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_score_interval_covers_continuous_scores(name, n):
    draw, truth = CONTINUOUS[name]
    rng = np.random.default_rng(7)
    samples = draw(rng, (REPLICATES, n))
    coverage = np.mean([covered(mean_interval(list(s)), truth) for s in samples])
    assert coverage >= MIN_COVERAGE, f"{name}, n={n}: coverage {coverage:.3f}"


@pytest.mark.parametrize("n", [5, 10])
def test_interval_covers_0_1_scores_at_every_rate(n):
    """Exact coverage (summed over the binomial), for the score mean and the success rate alike."""
    for p in np.arange(0.05, 0.96, 0.05):
        coverage = 0.0
        for k in range(n + 1):
            outcomes = [1.0] * k + [0.0] * (n - k)
            assert mean_interval(outcomes) == rate_interval([bool(v) for v in outcomes])
            coverage += covered(rate_interval([bool(v) for v in outcomes]), p) * scipy_stats.binom.pmf(k, n, p)
        assert coverage >= MIN_COVERAGE, f"p={p:.2f}, n={n}: coverage {coverage:.3f}"


def test_no_interval_below_two_values_or_without_variation():
    one = mean_interval([0.7])
    assert (one.mean, one.low, one.high, one.n) == (0.7, None, None, 1)
    assert not mean_interval([0.5, 0.5, 0.5]).has_interval
    assert mean_interval([]).mean is None
    assert rate_interval([True]).low is None
    assert mean_interval([0.2, 0.4]).render().endswith("n=2")


def test_a_score_interval_stops_at_the_best_possible_score():
    estimate = mean_interval([0.84, 0.99], at_most=1.0)
    assert estimate.high == 1.0 and estimate.low < 0.84


def test_all_successes_still_leave_room_below():
    everything = rate_interval([True] * 5)
    assert everything.high == 1.0 and everything.low < 0.6


def test_sign_flip_is_exact_below_twenty_pairs():
    diffs = [0.3, -0.1, 0.2, 0.25, 0.05, 0.4]
    observed = abs(np.mean(diffs))
    flips = [abs(np.mean(np.array(signs) * diffs)) for signs in itertools.product([1, -1], repeat=len(diffs))]
    expected = np.mean([f >= observed - 1e-12 for f in flips])
    test = sign_flip_test(diffs)
    assert test.method == "exact sign-flip" and test.pairs == 6
    assert test.p_value == pytest.approx(expected)


def test_five_pairs_cannot_reach_five_percent():
    assert sign_flip_test([0.5, 0.4, 0.6, 0.3, 0.7]).p_value == pytest.approx(2 / 2**5)


def test_sign_flip_holds_its_level_under_the_null():
    rng = np.random.default_rng(3)
    p_values = [sign_flip_test(list(rng.normal(0, 1, 8)), seed=i).p_value for i in range(400)]
    assert np.mean(np.array(p_values) <= 0.05) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)


def test_sign_flip_without_pairs_or_differences():
    assert sign_flip_test([]).p_value is None
    assert sign_flip_test([0.0, 0.0, 0.0]).p_value == 1.0
    assert sign_flip_test([0.1] * 25).method == "Monte Carlo sign-flip"


def test_pass_at_k_is_the_unbiased_estimator_of_the_humaneval_paper():
    from math import comb

    from ctxbench.stats import pass_at_k

    for n in range(1, 12):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n)
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))
    assert pass_at_k(200, 3, 100) == pytest.approx(1 - comb(197, 100) / comb(200, 100))  # no overflow
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 6)


def test_paired_power_is_exact_and_matches_a_simulation_of_the_sign_flip_test():
    from ctxbench.stats import paired_power, sign_flip_test, smallest_detectable_gain

    for p in (0.0, 0.2, 0.5, 0.9):
        assert paired_power(10, p, p) <= 0.05  # no difference: rejected at most alpha of the time
    assert paired_power(10, 0.1, 0.5) < paired_power(20, 0.1, 0.5) < paired_power(40, 0.1, 0.5)
    assert paired_power(20, 0.1, 0.4) < paired_power(20, 0.1, 0.6)
    rng = np.random.default_rng(0)
    rejected = [sign_flip_test(rng.binomial(1, 0.8, 12) - rng.binomial(1, 0.1, 12)).p_value <= 0.05
                for _ in range(400)]  # fmt: skip
    assert abs(np.mean(rejected) - paired_power(12, 0.1, 0.8)) < 0.06
    assert smallest_detectable_gain(10, 0.5) is None  # 10 pairs from 0.5: not even a rise to 1.0 suffices
    assert 0.3 < smallest_detectable_gain(30, 0.3) < 0.5
