#!/usr/bin/env python3
"""Does an agent beat a task's trivial answer? Each task's trivial, baseline and reference answers
are run in the real sandbox and graded (the floor and the yardsticks), then each cell of the given
sweeps is set against its task's trivial score: the cell clears it when the lower bound of its mean
score's interval lies above it.

    .venv/bin/python scripts/above_trivial.py results/issue15_1.5b_scaffold_main
    .venv/bin/python scripts/above_trivial.py --tasks pbmc_clustering,krumsiek_trajectory   # floors only
    .venv/bin/python scripts/above_trivial.py --by-mode results/issue17_ladder_0.5b_v2   # the README's ladder

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


def clears(line: dict, trivial: float) -> bool:
    """The lower bound lies above the trivial score by more than float noise (ml_diabetes's trivial
    R² is -1e-17, and a cell of zeros, no answer at all, was shown as clearing it)."""
    return line["score_ci_low"] is not None and line["score_ci_low"] > trivial + 1e-9


def interval_text(line: dict) -> str:
    low, high = line["score_ci_low"], line["score_ci_high"]
    return f"[{low:.3f}, {high:.3f}]" if low is not None else "(no interval)"


def by_mode_table(cells: list[dict], floors: dict[str, dict[str, float | None]]) -> list[str]:
    """The README's ladder: a row per task, policy and model, a column per mode, each cell its mean score,
    interval and n, in bold when it clears the trivial answer."""
    found = {line["mode"] for line in cells}
    modes = [m for m in MODE_ORDER if m in found] + sorted(found - set(MODE_ORDER))
    rows: dict[tuple[str, str, str], dict[str, dict]] = {}
    for line in cells:
        rows.setdefault((line["task"], line["policy"], line["model"]), {})[line["mode"]] = line
    out = ["| task (trivial / baseline / reference) | policy | model | " + " | ".join(modes) + " |",
           "|---|---|---|" + "---|" * len(modes)]  # fmt: skip
    for (task, policy, model), by_mode in rows.items():
        yardsticks = " / ".join(shown(floors[task][s]) for s in SCRIPTS)
        texts = []
        for mode in modes:
            mode_cell = by_mode.get(mode)
            if mode_cell is None:
                texts.append("-")
                continue
            mean = f"{shown(mode_cell['score'])} {interval_text(mode_cell)}, n = {mode_cell['n']}"
            texts.append(f"**{mean}**" if clears(mode_cell, floors[task]["trivial"] or 0.0) else mean)
        out.append(f"| {task} ({yardsticks}) | {policy} | {model} | " + " | ".join(texts) + " |")
    return out


MODE_ORDER = ["direct", "agentic", "controller"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="*", type=Path, help="sweep result folders (results/<experiment>)")
    parser.add_argument(
        "--tasks", default="", help="comma-separated tasks whose floors to print (default: the sweeps')"
    )
    parser.add_argument("--markdown", action="store_true", help="print the cells as a markdown table, a row each")
    parser.add_argument("--by-mode", action="store_true", help="markdown, a row per task and model, a column per mode")
    args = parser.parse_args()
    rows = [row for experiment in args.experiments for row in load_rows(experiment)]
    tasks = sorted({*filter(None, args.tasks.split(",")), *(row["task"] for row in rows)})
    floors = {task: script_scores(task) for task in tasks}
    cells = summarize(rows) if rows else []
    if args.by_mode:
        print("\n".join(by_mode_table(cells, floors)))
        return 0
    if not args.markdown:
        print("task                  trivial  baseline  reference")
        for task in tasks:
            print(f"{task:20s} " + "  ".join(f"{shown(floors[task][s]):>8s}" for s in SCRIPTS))
    if args.markdown:
        print("| task (trivial / baseline / reference) | policy | mode | model | n | mean [interval] | clears |")
        print("|---|---|---|---|---|---|---|")
    elif cells:
        print(f"\n{'cell (task / policy / mode / model)':64s}   n   mean [interval]        clears trivial")
    for line in cells:
        trivial = floors[line["task"]]["trivial"] or 0.0
        verdict = "yes" if clears(line, trivial) else "no"
        mean = shown(line["score"])
        if args.markdown:
            yardsticks = " / ".join(shown(floors[line["task"]][s]) for s in SCRIPTS)
            cell = " | ".join(str(line[key]) for key in ("policy", "mode", "model", "n"))
            print(f"| {line['task']} ({yardsticks}) | {cell} | {mean} {interval_text(line)} | {verdict} |")
        else:
            name = f"{line['task']} / {line['policy']} / {line['mode']} / {line['model']}"
            print(f"{name:64s} {line['n']:3d}   {mean} {interval_text(line):18s}  {verdict} (trivial {trivial:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
