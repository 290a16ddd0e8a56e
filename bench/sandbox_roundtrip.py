#!/usr/bin/env python3
"""Round trip of a trivial cell: the persistent kernel session versus one `docker exec` per cell,
and beside them inspect_ai's own sandboxes running the same cell, in the same run.

    .venv/bin/python bench/sandbox_roundtrip.py [--n 200] [--no-inspect]

inspect_ai is installed in a throwaway venv of its own (~/.cache/ctxbench/inspect-venv, pinned
below) and timed there: its `local` sandbox runs a command per call (`exec([python, "-c", cell])`, python
being that venv's interpreter, not a shim on PATH);
its Docker sandbox drives the `docker compose` v2 plugin, which Debian bookworm does not package
(its docker-compose is 1.29), so it is not timed here and the bench says so. Prints p50/p95 in ms
for each, and ratios (the machine is noisy; the ratios are the figures to quote).
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.paths import cache_dir
from ctxbench.sandbox import SandboxConfig, make_sandbox
from ctxbench.sandbox.kernel_client import KernelSandbox

CELL = "x = 1 + 1"
INSPECT_AI = "inspect-ai==0.3.285"
# Run in inspect_ai's venv: times its local sandbox's exec of the cell, prints the seconds as JSON.
INSPECT_TIMER = """
import asyncio, json, sys, time
from inspect_ai.util._sandbox.local import LocalSandboxEnvironment

async def main(n, cell):
    envs = await LocalSandboxEnvironment.sample_init("bench", None, {})
    box = envs["default"]
    for _ in range(5):
        await box.exec([sys.executable, "-c", cell])
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        result = await box.exec([sys.executable, "-c", cell])
        samples.append(time.perf_counter() - started)
        assert result.success, result.stderr
    await LocalSandboxEnvironment.sample_cleanup("bench", None, envs, False)
    print(json.dumps(samples))

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


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


def inspect_local_samples(n: int) -> list[float]:
    """inspect_ai's local sandbox, timed in a venv of its own (made once; a throwaway, never the harness's)."""
    venv = cache_dir() / "inspect-venv"
    python = venv / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if subprocess.run([str(python), "-c", "import inspect_ai"], capture_output=True).returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", INSPECT_AI], check=True)
    done = subprocess.run([str(python), "-c", INSPECT_TIMER, str(n), CELL], capture_output=True, text=True, check=True)
    return [float(x) for x in json.loads(done.stdout)]


def docker_compose_v2() -> bool:
    """inspect_ai's Docker sandbox drives `docker compose` (the v2 plugin)."""
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="cells per method")
    parser.add_argument("--n-exec", type=int, default=40, help="docker exec calls (slow)")
    parser.add_argument("--no-inspect", action="store_true", help="leave out inspect_ai's sandboxes")
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
    if not args.no_inspect:
        results["inspect_ai local sandbox"] = inspect_local_samples(args.n_exec)
    for name, samples in results.items():
        p50, p95 = percentiles(samples)
        print(f"{name:32s} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   (n={len(samples)})")
    session = percentiles(results["docker persistent session"])
    per_exec = percentiles(results["docker exec per cell"])
    print(f"ratio docker exec-per-cell / persistent session: p50 {per_exec[0] / session[0]:.0f}x, "
          f"p95 {per_exec[1] / session[1]:.0f}x")  # fmt: skip
    if not args.no_inspect:
        inspect_local = percentiles(results["inspect_ai local sandbox"])
        ours = percentiles(results["bubblewrap persistent session"])
        print(f"ratio inspect_ai local exec / bubblewrap persistent session: p50 {inspect_local[0] / ours[0]:.0f}x, "
              f"p95 {inspect_local[1] / ours[1]:.0f}x (inspect's local sandbox has no isolation at all)")  # fmt: skip
        print(f"ratio inspect_ai local exec / docker persistent session: p50 {inspect_local[0] / session[0]:.0f}x")
        compose = "present" if docker_compose_v2() else "missing (Debian bookworm packages compose 1.29 only)"
        print(f"inspect_ai docker sandbox: not timed (it drives the `docker compose` v2 plugin: {compose})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
