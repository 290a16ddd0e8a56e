#!/usr/bin/env python3
"""Round trip of a trivial cell: the persistent kernel session versus one `docker exec` per cell.

    .venv/bin/python bench/sandbox_roundtrip.py [--n 200]

Prints p50/p95 in ms for each, and the ratio (the machine is noisy; the ratio is the figure to quote).
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.sandbox import SandboxConfig, make_sandbox
from ctxbench.sandbox.kernel_client import KernelSandbox

CELL = "x = 1 + 1"


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1e3, cuts[94] * 1e3


def measure(run: Callable[[], object], n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="cells per method")
    parser.add_argument("--n-exec", type=int, default=40, help="docker exec calls (slow)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("bubblewrap", "docker"):
            box = make_sandbox(SandboxConfig(backend=backend), Path(tmp) / backend / "work", None)
            assert isinstance(box, KernelSandbox)
            with box:
                results[f"{backend} persistent session"] = measure(partial(box.run_cell, CELL), args.n)
                if backend == "docker":
                    assert box._kernel is not None
                    container = box._kernel.channel.container  # type: ignore[attr-defined]
                    command = ["/opt/venv/bin/python", "-c", CELL]
                    results["docker exec per cell"] = measure(partial(container.exec_run, command), args.n_exec)
    for name, samples in results.items():
        p50, p95 = percentiles(samples)
        print(f"{name:32s} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   (n={len(samples)})")
    session = percentiles(results["docker persistent session"])
    per_exec = percentiles(results["docker exec per cell"])
    print(f"ratio docker exec-per-cell / persistent session: p50 {per_exec[0] / session[0]:.0f}x, "
          f"p95 {per_exec[1] / session[1]:.0f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
