#!/usr/bin/env python3
"""Coverage of "95 %" intervals at the n a sweep affords: the harness's choice (ctxbench.stats)
beside the percentile bootstrap and Student's t at 95 %, on 0/1 scores (exact, over the binomial)
and on continuous scores bounded in [0, 1] (simulated).

    .venv/bin/python bench/interval_coverage.py [--replicates 4000]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.stats import mean_interval

RATES = np.arange(0.05, 0.96, 0.05)
CONTINUOUS = {
    "uniform": (lambda rng, size: rng.uniform(0, 1, size), 0.5),
    "beta(2,5)": (lambda rng, size: rng.beta(2, 5, size), 2 / 7),
    "beta(8,2)": (lambda rng, size: rng.beta(8, 2, size), 0.8),
    "beta(.5,.5)": (lambda rng, size: rng.beta(0.5, 0.5, size), 0.5),
    "60% zeros": (lambda rng, size: np.where(rng.random(size) < 0.6, 0.0, rng.uniform(0.3, 0.9, size)), 0.24),
}


def bootstrap(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    means = values[rng.integers(0, values.size, (2000, values.size))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def t95(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return values.mean() - half, values.mean() + half


def harness(values: np.ndarray) -> tuple[float, float]:
    estimate = mean_interval(list(values))
    if estimate.low is None or estimate.high is None:
        return np.nan, np.nan  # no interval: never covers
    return estimate.low, estimate.high


METHODS = {"harness": lambda v, rng: harness(v), "t 95%": lambda v, rng: t95(v), "bootstrap": bootstrap}


def covers(interval: tuple[float, float], truth: float) -> bool:
    return bool(interval[0] <= truth <= interval[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=4000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'scores':14s} {'n':>3s} " + " ".join(f"{m:>10s}" for m in METHODS))
    for n in (5, 10):
        worst = {m: 1.0 for m in METHODS}
        for p in RATES:  # exact: sum the binomial over every possible sample
            for method, interval in METHODS.items():
                coverage = sum(
                    stats.binom.pmf(k, n, p) * covers(interval(np.array([1.0] * k + [0.0] * (n - k)), rng), p)
                    for k in range(n + 1)
                )
                worst[method] = min(worst[method], coverage)
        print(f"{'0/1 (worst p)':14s} {n:3d} " + " ".join(f"{worst[m]:10.3f}" for m in METHODS))
        for name, (draw, truth) in CONTINUOUS.items():
            samples = draw(rng, (args.replicates, n))
            row = [np.mean([covers(interval(s, rng), truth) for s in samples]) for interval in METHODS.values()]
            print(f"{name:14s} {n:3d} " + " ".join(f"{c:10.3f}" for c in row))


if __name__ == "__main__":
    main()
