#!/usr/bin/env python3
"""Episodes per minute of a scripted sweep at 1 and 2 workers, and the scaling ratio.

    .venv/bin/python bench/sweep_scaling.py [--repeats 4]

Each episode is real apart from the model: task preparation, a bubblewrap session running the
reference solution, grading, traces. 2 policies x 1 mode x repeats episodes per setting.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.sweep import SweepConfig, run_sweep

ROOT = Path(__file__).resolve().parent.parent


def episodes_per_minute(workers: int, repeats: int, tmp: Path) -> float:
    reference = (ROOT / "benchmarks/pbmc_annotation/reference.py").read_text()
    reply = f"```python\n{reference}\n```\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply]}, "budget": {"max_steps": 1},
            "telemetry": {"traces_dir": str(tmp / "traces")}}  # fmt: skip
    (tmp / "base.json").write_text(json.dumps(base))
    sweep = SweepConfig(
        experiment=f"scaling{workers}", base_config=tmp / "base.json", policies=["full_history", "sliding_window"],
        repeats=repeats, workers=workers, results_dir=tmp / "results",
    )  # fmt: skip
    started = time.perf_counter()
    run_sweep(sweep, resume=False)
    elapsed = time.perf_counter() - started
    return 2 * repeats / elapsed * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = episodes_per_minute(1, args.repeats, Path(tmp))
        two = episodes_per_minute(2, args.repeats, Path(tmp))
    print(f"1 worker : {one:6.1f} episodes/min")
    print(f"2 workers: {two:6.1f} episodes/min")
    print(f"scaling 2/1 workers: {two / one:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
