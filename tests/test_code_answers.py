"""Code answers are judged as code: sanitized to what they submit in every mode, so the model's
own wrong tests never turn a correct function into a failure; and the direct reference mode."""

import pytest

from benchmarks import TASKS, make_task
from benchmarks.sanitize import sanitize
from ctxbench.episode import top_level_definitions
from ctxbench.modes.direct import reply_code
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import make_config

SCRATCH = """\
import math
from typing import List

LIMIT = 10


def helper(x):
    return x * 2


def unused():
    return 1 / 0


def add(a, b):
    return helper(a) + b if a < LIMIT else 0


def test_add():
    assert add(1, 2) == 5


assert add(1, 2) == 99
print(add(2, 3))
if __name__ == "__main__":
    test_add()
This explains the code above.
"""


def test_sanitize_keeps_imports_and_what_the_entry_point_reaches():
    kept = sanitize(SCRATCH, "add")
    assert "import math" in kept and "from typing import List" in kept
    assert "LIMIT = 10" in kept and "def helper" in kept and "def add" in kept
    for dropped in ("def unused", "def test_add", "assert", "print(", "__main__", "explains"):
        assert dropped not in kept
    namespace: dict = {}
    exec(kept, namespace)
    assert namespace["add"](1, 2) == 4


def test_sanitize_leaves_code_without_the_entry_point_as_it_is():
    assert sanitize("x = 1\nprint(x)\n", "add") == "x = 1\nprint(x)\n"
    assert sanitize("not python at all (", "add") == "not python at all ("


def test_the_last_definition_wins_as_when_run():
    code = "def f():\n    return 1\n\ndef f():\n    return 2\n"
    assert sanitize(code, "f").strip() == "def f():\n    return 2"


def test_reply_code_prefers_the_defining_block_and_survives_a_cut_reply():
    assert reply_code("Here:\n```python\nprint(1)\n```\n```python\ndef f():\n    pass\n```") == "def f():\n    pass\n"
    assert reply_code("```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"
    assert reply_code("def f(): return 1") == "def f(): return 1"


# problem 2: truncate_number(number) -> number % 1.0
CORRECT_WITH_WRONG_TESTS = (
    "def truncate_number(number: float) -> float:\n    return number % 1.0\n\n"
    "assert truncate_number(3.5) == 0.7  # the model's own, wrong expectation\n"
)


@needs_bwrap
def test_a_correct_function_with_wrong_own_tests_passes_in_every_mode(tmp_path):
    block = f"```python\n{CORRECT_WITH_WRONG_TESTS}```"
    task = {"name": "humaneval", "problem": 2}
    for mode, reply in (("agentic", f"FINAL_ANSWER:\n{block}"), ("controller", block), ("direct", block)):
        config = make_config(tmp_path / mode, [reply], task=task, reasoning_mode=mode, budget={"max_steps": 1})
        result = run_episode(config)
        assert result.score.passed, (mode, result.stop_reason, result.error)


@needs_bwrap
def test_direct_mode_is_one_greedy_call_with_the_evaluation_prompt(tmp_path):
    config = make_config(tmp_path, ["```python\ndef truncate_number(n):\n    return 0.0\n```"],
                         task={"name": "humaneval", "problem": 2}, reasoning_mode="direct")  # fmt: skip
    result = run_episode(config)
    assert (result.stop_reason, result.score.passed, result.totals.steps) == ("final_answer", False, 1)
    (call,) = [e for e in read_trace(result.trace_path) if e["type"] == "llm_call"]
    assert [m["role"] for m in call["messages"]] == ["user"]
    assert call["messages"][0]["content"].startswith("Please provide a self-contained Python script")


@needs_bwrap
def test_direct_mode_runs_a_file_task_once_and_submits_its_answer(tmp_path):
    from tests.test_sweep import PREDICT, REFERENCE

    config = make_config(tmp_path, [f"```python\n{REFERENCE}\n{PREDICT}```"], reasoning_mode="direct")
    result = run_episode(config)
    assert result.stop_reason == "final_answer" and result.score.passed
    assert result.totals.cells == 1


@needs_bwrap
@pytest.mark.parametrize("problem", [32, 38, 50])  # helpers defined in the prompt (poly, encode_*)
def test_an_answer_may_use_the_prompts_own_helpers(tmp_path, problem):
    task = make_task(TASKS.get("humaneval").config_class(problem=problem), seed=0)
    task.prepare(tmp_path / "task")
    problem = task._problem
    signature = problem["prompt"].split("def " + problem["entry_point"])[1].split("\n")[0]
    answer = f"def {problem['entry_point']}{signature}\n{problem['canonical_solution']}"  # no helpers
    assert task.grade(task.parse_answer(answer, tmp_path)).passed


def test_a_hostile_answer_cannot_stall_or_break_the_sanitizer():
    deep = "def f():\n    return " + "(" * 5000 + ")" * 5000 + "\n"
    assert sanitize(deep, "f") == deep  # too deep to parse: left as it is, and fails when run
    garbage = "def f():\n    return 1\n" + "this is not code (\n" * 100_000
    assert sanitize(garbage, "f") == garbage  # no quadratic search through 100,000 lines
    nested = "x = " + "[" * 100_000 + "]" * 100_000
    assert top_level_definitions(deep) == top_level_definitions(nested) == []  # a cell run is read for names too


@needs_bwrap
def test_an_answer_that_breaks_the_parser_is_the_agents_invalid_answer(tmp_path, monkeypatch):
    from benchmarks.pbmc_markers.task import PbmcMarkers

    def broken(self, text, workdir):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(PbmcMarkers, "parse_answer", broken)
    config = make_config(tmp_path, ["FINAL_ANSWER: markers.csv"], task={"name": "pbmc_markers"},
                         budget={"max_steps": 1})  # fmt: skip
    result = run_episode(config)
    assert result.stop_reason == "max_steps" and result.score is not None  # scored, as the agent's failure
    assert result.totals.invalid_answers == 1


@needs_bwrap
def test_a_code_answer_given_by_name_is_the_newest_cell_run_that_defines_it(tmp_path):
    # Seen with the 0.5B model: it ran a correct function, then replied `FINAL_ANSWER: False` (its
    # output) and could not resend the function after a bare FINAL_ANSWER: line.
    wrong = "```python\ndef truncate_number(number):\n    return 0.0\n```"
    broken = "```python\ndef truncate_number(number):\n    return (\n```"  # a SyntaxError defines nothing
    replies = [wrong, f"```python\n{CORRECT_WITH_WRONG_TESTS}```", broken, "FINAL_ANSWER: False",
               "FINAL_ANSWER: `truncate_number`"]  # fmt: skip
    result = run_episode(make_config(tmp_path, replies, task={"name": "humaneval", "problem": 2}))
    assert (result.stop_reason, result.score.passed) == ("final_answer", True)  # failed on its own wrong assert
    rejected, accepted = [e for e in read_trace(result.trace_path) if e["type"] == "final_answer"]
    assert "`FINAL_ANSWER: truncate_number` to submit the last code you ran" in rejected["error"]
    assert accepted["raw"] == "`truncate_number`" and accepted["submitted_cell_of"] == "truncate_number"
    unknown = run_episode(make_config(tmp_path / "unknown", ["FINAL_ANSWER: truncate_number"],
                                      task={"name": "humaneval", "problem": 2}, budget={"max_steps": 1}))  # fmt: skip
    assert unknown.totals.invalid_answers == 1 and not unknown.score.passed  # nothing ran that defines it
