#!/usr/bin/env python3
"""Does an agent beat a task's trivial answer? Each task's trivial, baseline and reference answers
are run in the real sandbox and graded (the floor and the yardsticks), then each cell of the given
sweeps is set against its task's trivial score: the cell clears it when the lower bound of its mean
score's interval lies above it.

    .venv/bin/python scripts/above_trivial.py results/issue15_1.5b_scaffold_main
    .venv/bin/python scripts/above_trivial.py --tasks pbmc_clustering,krumsiek_trajectory   # floors only
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import TASKS, make_task
from ctxbench.results import load_rows, summarize

SCRIPTS = ("trivial", "baseline", "reference")


def script_scores(task_name: str, seed: int = 0) -> dict[str, float]:
    """Each of the task's answer scripts, run in the sandbox and graded as an agent's answer is."""
    task = make_task(TASKS.get(task_name).config_class(name=task_name), seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        prepared = task.prepare(Path(folder) / "task")
        return {script: task.grade_script(script, prepared.data_dir, Path(folder) / script).value for script in SCRIPTS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="*", type=Path, help="sweep result folders (results/<experiment>)")
    parser.add_argument(
        "--tasks", default="", help="comma-separated tasks whose floors to print (default: the sweeps')"
    )
    args = parser.parse_args()
    rows = [row for experiment in args.experiments for row in load_rows(experiment)]
    tasks = sorted({*filter(None, args.tasks.split(",")), *(row["task"] for row in rows)})
    floors = {}
    print("task                  trivial  baseline  reference")
    for task in tasks:
        floors[task] = script_scores(task)
        print(f"{task:20s} " + "  ".join(f"{floors[task][s]:8.3f}" for s in SCRIPTS))
    if rows:
        print(f"\n{'cell (task / policy / mode / model)':64s}   n   mean [interval]        clears trivial")
        for line in summarize(rows):
            low, high, trivial = line["score_ci_low"], line["score_ci_high"], floors[line["task"]]["trivial"]
            interval = f"[{low:.3f}, {high:.3f}]" if low is not None else "(no interval)"
            verdict = "yes" if low is not None and low > trivial else "no"
            name = f"{line['task']} / {line['policy']} / {line['mode']} / {line['model']}"
            mean = f"{line['score']:.3f}" if line["score"] is not None else "-"
            print(f"{name:64s} {line['n']:3d}   {mean} {interval:18s}  {verdict} (trivial {trivial:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
