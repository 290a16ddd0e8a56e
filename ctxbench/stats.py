"""Bootstrap confidence intervals (seeded, so a table is reproducible)."""

import numpy as np

N_RESAMPLES = 2000


def bootstrap_ci(values: list[float], confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high) of the mean; a single value has a zero-width interval."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return float("nan"), float("nan"), float("nan")
    if data.size == 1:
        return float(data[0]), float(data[0]), float(data[0])
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(N_RESAMPLES, data.size))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    return float(data.mean()), float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))
