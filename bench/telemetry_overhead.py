#!/usr/bin/env python3
"""Cost of Phoenix telemetry for one short scripted episode: off, live local server, dead endpoint.

    .venv/bin/python bench/telemetry_overhead.py [--repeats 3]

Prints the median episode wall time (setup to closed trace) and the difference to `off`; the dead
endpoint's difference is what a missing server adds at exit (goal: at most 2 s).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.config import validate_config
from ctxbench.runner import run_episode

REPLIES = ["```python\nprint(1)\n```", "```python\nprint(2)\n```"]


def once(phoenix: dict, tmp: Path) -> float:
    raw = {
        "model": {"backend": "scripted", "scripted_replies": REPLIES}, "budget": {"max_steps": 2},
        "telemetry": {"traces_dir": str(tmp / "traces"), "phoenix": phoenix}, "out": str(tmp / "results"),
    }  # fmt: skip
    started = time.perf_counter()
    run_episode(validate_config(raw, "bench"))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings: dict[str, dict] = {
        "off": {"enabled": False},
        "live (127.0.0.1:6006)": {"enabled": True, "project": "ctxbench-bench"},
        "dead endpoint": {"enabled": True, "endpoint": "http://127.0.0.1:9"},
    }
    medians = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, phoenix in settings.items():
            medians[name] = statistics.median(once(phoenix, Path(tmp)) for _ in range(args.repeats))
    for name, value in medians.items():
        print(f"{name:24s} {value:6.2f} s   (+{value - medians['off']:.2f} s over off)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
