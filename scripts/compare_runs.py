#!/usr/bin/env python3
"""Two sweeps that differ in one setting (a scaffolding piece, a prompt, a model version), paired
episode by episode (same task, policy, mode, model and repeat, so the same seed): each side's mean
score, the paired difference with its interval and the exact sign-flip p-value, and what each side
spent.

    .venv/bin/python scripts/compare_runs.py results/issue15_1.5b_pbmc_questions_task_first_autosubmit \\
        results/issue15_1.5b_pbmc_questions_all_blocks
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.results import delta_columns, load_rows, scored
from ctxbench.stats import mean_interval

KEY = ("task", "policy", "mode", "model", "repeat")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", type=Path, help="results/<experiment> (the reference)")
    parser.add_argument("second", type=Path, help="results/<experiment> (the change)")
    args = parser.parse_args()
    sides = [{tuple(r[k] for k in KEY): r for r in scored(load_rows(path))} for path in (args.first, args.second)]
    shared = sorted(set(sides[0]) & set(sides[1]))
    for path, side in zip((args.first, args.second), sides, strict=True):
        estimate = mean_interval([r["score"] for r in side.values()], at_most=1.0)
        tokens = sum(r["total_tokens"] for r in side.values()) / max(1, len(side))
        wall = sum(r["wall_s"] for r in side.values()) / max(1, len(side))
        print(f"{path.name:56s} n={len(side):3d} score {estimate.render()}  {tokens:8.0f} tok  {wall:6.1f} s")
    diffs = [sides[1][k]["score"] - sides[0][k]["score"] for k in shared]
    delta = delta_columns(diffs, unpaired=len(set(sides[0]) ^ set(sides[1])))
    low, high = delta["delta_ci_low"], delta["delta_ci_high"]
    interval = f" [{low:+.3f}, {high:+.3f}]" if low is not None else ""
    mean = delta["delta_vs_full_history"]
    print(f"second - first: {'—' if mean is None else f'{mean:+.3f}'}{interval} over {delta['pairs']} pairs "
          f"({delta['unpaired']} unpaired), p = {delta['delta_p']} ({delta['delta_test']})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
