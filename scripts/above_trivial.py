#!/usr/bin/env python3
"""Does an agent beat a task's trivial answer? Each task's trivial, baseline and reference answers
are run in the real sandbox and graded (the floor and the yardsticks), then each cell of the given
sweeps is set against its task's trivial score: the cell clears it when the lower bound of its mean
score's interval lies above it.

    .venv/bin/python scripts/above_trivial.py results/issue15_1.5b_scaffold_main
    .venv/bin/python scripts/above_trivial.py --tasks pbmc_clustering,krumsiek_trajectory   # floors only
    .venv/bin/python scripts/above_trivial.py --markdown results/issue17_ladder_0.5b   # the README's ladder

A task file (`file-<name>`, read from task_files/<name>.yaml) has no scripts: its reference is the
file's own answers, its trivial answer none at all, and it has no baseline.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import TASKS, make_task
from benchmarks.task_file.task import FileAnswers, FileTask, FileTaskConfig
from ctxbench.results import load_rows, summarize

SCRIPTS = ("trivial", "baseline", "reference")


def script_scores(task_name: str, seed: int = 0) -> dict[str, float | None]:
    """Each of the task's answer scripts, run in the sandbox and graded as an agent's answer is."""
    if task_name.startswith("file-"):
        return file_task_scores(Path("task_files") / f"{task_name.removeprefix('file-')}.yaml")
    task = make_task(TASKS.get(task_name).config_class(name=task_name), seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        prepared = task.prepare(Path(folder) / "task")
        return {script: task.grade_script(script, prepared.data_dir, Path(folder) / script).value for script in SCRIPTS}


def file_task_scores(path: Path) -> dict[str, float | None]:
    task = FileTask(FileTaskConfig(path=path), seed=0)
    right = FileAnswers(values={question.id: question.answer for question in task.spec.questions})
    return {"trivial": task.grade(None).value, "baseline": None, "reference": task.grade(right).value}


def shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="*", type=Path, help="sweep result folders (results/<experiment>)")
    parser.add_argument(
        "--tasks", default="", help="comma-separated tasks whose floors to print (default: the sweeps')"
    )
    parser.add_argument("--markdown", action="store_true", help="print the cells as the README's ladder table")
    args = parser.parse_args()
    rows = [row for experiment in args.experiments for row in load_rows(experiment)]
    tasks = sorted({*filter(None, args.tasks.split(",")), *(row["task"] for row in rows)})
    floors = {task: script_scores(task) for task in tasks}
    if not args.markdown:
        print("task                  trivial  baseline  reference")
        for task in tasks:
            print(f"{task:20s} " + "  ".join(f"{shown(floors[task][s]):>8s}" for s in SCRIPTS))
    cells = summarize(rows) if rows else []
    if args.markdown:
        print("| task (trivial / baseline / reference) | policy | mode | model | n | mean [interval] | clears |")
        print("|---|---|---|---|---|---|---|")
    elif cells:
        print(f"\n{'cell (task / policy / mode / model)':64s}   n   mean [interval]        clears trivial")
    for line in cells:
        low, high, trivial = line["score_ci_low"], line["score_ci_high"], floors[line["task"]]["trivial"] or 0.0
        interval = f"[{low:.3f}, {high:.3f}]" if low is not None else "(no interval)"
        verdict = "yes" if low is not None and low > trivial else "no"
        mean = shown(line["score"])
        if args.markdown:
            yardsticks = " / ".join(shown(floors[line["task"]][s]) for s in SCRIPTS)
            cell = " | ".join(str(line[key]) for key in ("policy", "mode", "model", "n"))
            print(f"| {line['task']} ({yardsticks}) | {cell} | {mean} {interval} | {verdict} |")
        else:
            name = f"{line['task']} / {line['policy']} / {line['mode']} / {line['model']}"
            print(f"{name:64s} {line['n']:3d}   {mean} {interval:18s}  {verdict} (trivial {trivial:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
