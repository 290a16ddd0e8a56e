"""humaneval_fix: the seeded mutations are the same on every run, each is one change of the kind it
names, the stored bugs are the generator's and fail the official tests, and the agent's task holds
the buggy function, never the solution."""

import ast
import random
import tempfile
from pathlib import Path

import pytest

from benchmarks import TASKS, make_task
from benchmarks.humaneval.check import passes
from benchmarks.humaneval.task import load_problems
from benchmarks.humaneval_fix.mutate import candidates, render, solution_body
from benchmarks.humaneval_fix.task import HumanEvalFixConfig, fix_problems, load_mutants
from ctxbench.errors import ConfigError
from ctxbench.sandbox import SandboxConfig, make_sandbox
from tests.conftest import needs_bwrap

TOY = {
    "task_id": "toy/0",
    "entry_point": "f",
    "prompt": 'def f(x: int) -> int:\n    """Doubled when below 3, else 0."""\n',
    "canonical_solution": "    if x < 3:\n        return x * 2\n    return 0\n",
}


def test_each_operator_makes_one_change_of_its_kind():
    made = {(m.operator, m.code.split('"""')[-1]) for m in candidates(TOY, seed=0)}
    assert made == {
        ("compare_flip", "\n    if x >= 3:\n        return x * 2\n    return 0\n"),
        ("off_by_one", "\n    if x <= 3:\n        return x * 2\n    return 0\n"),
        ("off_by_one", "\n    if x < 4:\n        return x * 2\n    return 0\n"),
        ("off_by_one", "\n    if x < 3:\n        return x * 3\n    return 0\n"),
        ("off_by_one", "\n    if x < 3:\n        return x * 2\n    return 1\n"),
        ("wrong_operator", "\n    if x < 3:\n        return x + 2\n    return 0\n"),
        ("dropped_branch", "\n    pass\n    return 0\n"),
    }
    assert all(m.code.startswith(TOY["prompt"]) for m in candidates(TOY, seed=0))  # the docstring as written


def test_the_order_is_fixed_by_the_seed_and_the_problem():
    problem = load_problems()[10]
    assert candidates(problem, seed=0) == candidates(problem, seed=0)
    assert [m.code for m in candidates(problem, seed=0)] != [m.code for m in candidates(problem, seed=1)]


def test_the_unmutated_rendering_is_the_canonical_solution_for_every_problem():
    """ast.unparse drops comments only: the same code, statement by statement."""
    for problem in load_problems():
        module, body = solution_body(problem["prompt"], problem["canonical_solution"], problem["entry_point"])
        again, _ = solution_body(render(problem["prompt"], body), "", problem["entry_point"])
        assert ast.dump(again) == ast.dump(module), problem["task_id"]


def test_a_problem_without_a_bug_is_refused_at_config_time():
    missing = next(i for i in range(164) if i not in load_mutants())
    with pytest.raises(ConfigError, match="no buggy version"):
        HumanEvalFixConfig(problem=missing)
    assert len(fix_problems()) >= 140  # most problems have one


@needs_bwrap
def test_stored_bugs_are_the_generators_first_failing_mutants_and_fail_the_official_tests():
    problems = load_problems()
    for index in sorted(random.Random(0).sample(fix_problems(), 6)):
        stored, problem = load_mutants()[index], problems[index]
        order = [m.code for m in candidates(problem, seed=0)]
        assert stored["code"] in order, index
        with tempfile.TemporaryDirectory() as tmp, make_sandbox(SandboxConfig(), Path(tmp) / "w", None) as box:
            assert not passes(box, stored["code"], problem, problem["test"], 15.0), index
        for earlier in order[: order.index(stored["code"])]:  # every mutant before it passed: equivalent
            with tempfile.TemporaryDirectory() as tmp, make_sandbox(SandboxConfig(), Path(tmp) / "w", None) as box:
                assert passes(box, earlier, problem, problem["test"], 15.0), index


def test_the_agent_gets_the_buggy_function_and_not_the_solution(tmp_path):
    task = make_task(TASKS.get("humaneval_fix").config_class(problem=2), seed=0)
    prepared = task.prepare(tmp_path / "task")
    problem, buggy = load_problems()[2], load_mutants()[2]["code"]
    assert [p.name for p in prepared.data_dir.iterdir()] == ["buggy.py"]
    assert (prepared.data_dir / "buggy.py").read_text() == buggy and buggy in prepared.prompt
    _, body = solution_body(problem["prompt"], problem["canonical_solution"], problem["entry_point"])
    solution = render(problem["prompt"], body).removeprefix(problem["prompt"].rstrip("\n"))
    assert solution not in prepared.prompt and solution not in buggy
    assert buggy in task.direct_prompt(prepared)
