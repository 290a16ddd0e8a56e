#!/usr/bin/env python3
"""Two sweeps that differ in one setting (a scaffolding piece, a prompt, a model version), paired
episode by episode (same task, policy, mode, model and repeat, so the same seed): each side's mean
score, the paired difference with its interval and the exact sign-flip p-value, and what each side
spent.

    .venv/bin/python scripts/compare_runs.py results/issue15_1.5b_pbmc_questions_task_first_autosubmit \\
        results/issue15_1.5b_pbmc_questions_all_blocks
    .venv/bin/python scripts/compare_runs.py --by-task results/issue17_ladder_0.5b_v2 \\
        results/issue17_mends_0.5b_agentic   # a markdown row per task, over the paired episodes only
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
    parser.add_argument("--by-task", action="store_true", help="also a markdown table, a row per task (pairs only)")
    args = parser.parse_args()
    sides = [{tuple(r[k] for k in KEY): r for r in scored(load_rows(path))} for path in (args.first, args.second)]
    shared = sorted(set(sides[0]) & set(sides[1]))
    if args.by_task:
        print("\n".join(by_task_table(sides, shared, (args.first.name, args.second.name))) + "\n")
    for path, side in zip((args.first, args.second), sides, strict=True):
        estimate = mean_interval([r["score"] for r in side.values()], at_most=1.0)
        tokens = sum(r["total_tokens"] for r in side.values()) / max(1, len(side))
        wall = sum(r["wall_s"] for r in side.values()) / max(1, len(side))
        print(f"{path.name:56s} n={len(side):3d} score {estimate.render()}  {tokens:8.0f} tok  {wall:6.1f} s")
    diffs = [sides[1][k]["score"] - sides[0][k]["score"] for k in shared]
    delta = delta_columns(diffs, unpaired=len(set(sides[0]) ^ set(sides[1])))
    interval = interval_text(delta, "")
    mean = delta["delta_vs_full_history"]
    print(f"second - first: {'—' if mean is None else f'{mean:+.3f}'}{interval} over {delta['pairs']} pairs "
          f"({delta['unpaired']} unpaired), p = {delta['delta_p']} ({delta['delta_test']})")  # fmt: skip
    return 0


def interval_text(delta: dict, without: str) -> str:
    """A paired difference's interval as " [low, high]", or `without` when it has none."""
    low, high = delta["delta_ci_low"], delta["delta_ci_high"]
    return f" [{low:+.3f}, {high:+.3f}]" if low is not None else without


def by_task_table(sides: list[dict[tuple, dict]], shared: list[tuple], names: tuple[str, str]) -> list[str]:
    """A row per task over its paired episodes: each side's mean score, the paired difference with
    its interval, the pair count and the exact test."""
    out = [f"| task | pairs | {names[0]} | {names[1]} | difference [interval] | p |", "|---|---|---|---|---|---|"]
    for task in sorted({key[0] for key in shared}):
        keys = [key for key in shared if key[0] == task]
        first, second = ([side[key]["score"] for key in keys] for side in sides)
        delta = delta_columns([b - a for a, b in zip(first, second, strict=True)], unpaired=0)
        interval = interval_text(delta, " (all pairs equal)")
        means = " | ".join(f"{sum(scores) / len(scores):.3f}" for scores in (first, second))
        out.append(f"| {task} | {len(keys)} | {means} | {delta['delta_vs_full_history']:+.3f}{interval} | "
                   f"{delta['delta_p']} |")  # fmt: skip
    return out


if __name__ == "__main__":
    raise SystemExit(main())
