"""Direct and controller mode tell the model what the agentic prompt tells it about the answer file:
its format (header, keys), without how the agentic protocol submits it. (Both modes once cut the
whole Answer section: a direct episode on ml_wine guessed the columns and wrote no predictions.)"""

import pytest

from benchmarks import TASKS, make_task
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import make_config

FILE_TASKS = [name for name in TASKS.names() if name not in ("humaneval", "humaneval_fix")]  # their own prompts


@pytest.fixture(scope="module", params=FILE_TASKS)
def prepared(request, tmp_path_factory):
    task = make_task(TASKS.get(request.param).config_class(name=request.param), seed=0)
    return task, task.prepare(tmp_path_factory.mktemp(request.param) / "task")


def test_direct_mode_keeps_the_answer_format_and_drops_the_submission(prepared):
    task, ready = prepared
    shown, wanted = task.direct_prompt(ready), task.answer_format(ready.prompt)
    assert "FINAL_ANSWER" not in shown and shown.rstrip().endswith("nothing it prints is shown to anyone.")
    if task.config.name == "smoke_sum":  # its Answer section says only how to submit: nothing of it is kept
        assert wanted == "" and "Answer:" not in shown
        return
    assert wanted.startswith("Answer: write") and task.answer_text in wanted and "FINAL_ANSWER" not in wanted
    assert wanted in shown


@needs_bwrap
def test_a_controller_proposal_that_writes_the_answer_file_is_told_its_format(tmp_path):
    replies = ["```python\nprint('no answer yet')\n```"]
    config = make_config(tmp_path, replies, task={"name": "pbmc_clustering"}, reasoning_mode="controller",
                         budget={"max_steps": 1})  # fmt: skip
    result = run_episode(config)
    (first,) = [e for e in read_trace(result.trace_path) if e["type"] == "llm_call"]
    shown = "\n".join(m["content"] for m in first["messages"])
    assert "/work/clusters.csv with header `cell_id,cluster`" in shown and "FINAL_ANSWER" not in shown
