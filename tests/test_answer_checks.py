"""Answers that cannot be what a task asks for are sent back with a reason, never graded 0 in
silence or crashing the grader; and the ML tasks say what their starter script is. Each case was
seen in the 0.5B's ladder episodes (results/issue17_ladder_0.5b_v2)."""

import json
import re

import pytest

from benchmarks import TASKS, make_task
from benchmarks.base import AnswerError
from benchmarks.ml_tabular.task import MODELS


def prepared(name, tmp_path):
    task = make_task(TASKS.get(name).config_class(name=name), seed=0)
    return task, task.prepare(tmp_path / "task")


def test_a_table_with_its_header_and_no_rows_is_sent_back(tmp_path):
    # A cell that failed after opening the file left its header alone; autosubmit had it graded 0.
    task, _ = prepared("pbmc_clustering", tmp_path)
    (tmp_path / "clusters.csv").write_text("cell_id,cluster\n")
    with pytest.raises(AnswerError, match=r"has its header \(cell_id,cluster\) and no rows"):
        task.parse_answer("clusters.csv", tmp_path)


def test_a_pseudotime_equal_for_every_cell_is_sent_back(tmp_path):
    # The 0.5B computed DPT, then wrote the root's index (adata.uns["iroot"]) as every cell's value.
    task, _ = prepared("krumsiek_trajectory", tmp_path)
    cells = list(task._truth.index)
    (tmp_path / "pseudotime.csv").write_text("cell_id,pseudotime\n" + "".join(f"{c},42\n" for c in cells))
    with pytest.raises(AnswerError, match=r"every cell has the same pseudotime \(42\)"):
        task.parse_answer("pseudotime.csv", tmp_path)
    ordered = "".join(f"{cell},{i}\n" for i, cell in enumerate(cells))
    (tmp_path / "pseudotime.csv").write_text("cell_id,pseudotime\n" + ordered)
    assert task.grade(task.parse_answer("pseudotime.csv", tmp_path)).metrics["coverage"] == 1.0


def write_predictions(tmp_path, task, value):
    ids = list(task._truth.index)
    (tmp_path / "predictions.csv").write_text("id,prediction\n" + "".join(f"{i},{value}\n" for i in ids))


def test_a_classifier_answer_must_hold_class_labels(tmp_path):
    # A regression model's scores on a classification task: accuracy_score raised on them, in the grader.
    task, _ = prepared("ml_wine", tmp_path)
    write_predictions(tmp_path, task, 0.53)
    with pytest.raises(AnswerError, match=r"must be a class label .* found 0\.53: use a classifier"):
        task.parse_answer("predictions.csv", tmp_path)
    write_predictions(tmp_path, task, "1.0")  # a label written as a float is still a label
    assert task.grade(task.parse_answer("predictions.csv", tmp_path)).metrics["coverage"] == 1.0
    regression, _ = prepared("ml_diabetes", tmp_path / "diabetes")
    write_predictions(tmp_path, regression, 151.7)
    assert regression.grade(regression.parse_answer("predictions.csv", tmp_path)).metrics["coverage"] == 1.0


@pytest.mark.parametrize("name", ["ml_toy", "ml_diabetes"])
def test_the_starter_script_is_shown_where_code_is_written_and_not_to_the_controller(tmp_path, name):
    task, ready = prepared(name, tmp_path)
    starter = (ready.data_dir / "train.py").read_text()
    assert f"```python\n{starter}```" in ready.prompt  # agentic mode's prompt is the task's own
    assert starter in task.direct_prompt(ready)
    controller = task.controller()
    assert controller is not None and not controller.keeps_answer_format  # its prompt drops the Answer section
    assert "```python" not in ready.prompt.split("\nAnswer:")[0]


@pytest.mark.parametrize("name", ["ml_toy", "ml_diabetes"])
def test_the_controller_example_is_a_valid_proposal_for_the_tasks_kind(tmp_path, name):
    # ml_diabetes's example was ridge with a random forest's parameters: 4 of 4 episodes copied it and failed.
    import importlib

    task, _ = prepared(name, tmp_path)
    controller = task.controller()
    assert controller is not None
    example = json.loads(re.search(r"\{\"model\".*\}", controller.instructions).group(0))
    module, cls = MODELS[task.kind][example["model"]].split(":")
    getattr(importlib.import_module(module), cls)(**example["params"])  # raises on a parameter it lacks
