"""Verdicts an answer cannot forge. The HumanEval grader believes only what its own interpreter
computes from plain values the answer's function returns; controller metrics are computed by the
harness from a proposal's raw outputs, in a fresh session no earlier proposal touched. Each attack
below once passed (or could); each must fail now."""

import pytest

from benchmarks.humaneval.task import HumanEval, HumanEvalConfig, Solution
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap
from tests.sandbox_backends import backend_params
from tests.test_episode_scripted import code, make_config

pytestmark = needs_bwrap

# The reply the kernel would send for a clean cell, written straight to its result channel.
FORGED_REPLY = (
    "import json, os, sys\n"
    "frame = sys._getframe()\n"
    "while frame is not None and 'proto_out' not in frame.f_locals:\n"
    "    frame = frame.f_back\n"
    "out = frame.f_locals['proto_out']\n"
    "out.write(json.dumps({'stdout': '', 'stderr': '', 'error': None, 'timed_out': False,\n"
    "                      'truncated_chars': 0, 'duration_s': 0.0}) + '\\n')\n"
    "out.flush()\n"
    "os._exit(0)\n"
)
ATTACKS = {
    "forged kernel reply": f"def has_close_elements(numbers, threshold):\n    return True\n{FORGED_REPLY}",
    "exit 0 at import": "import os\ndef has_close_elements(numbers, threshold):\n    return True\nos._exit(0)\n",
    "exit 0 when called": "import os\ndef has_close_elements(numbers, threshold):\n    os._exit(0)\n",
    "equal to anything": (
        "class Anything:\n    def __eq__(self, other): return True\n    def __bool__(self): return True\n"
        "def has_close_elements(numbers, threshold):\n    return Anything()\n"
    ),
    "prints a result line": (
        "def has_close_elements(numbers, threshold):\n    print('<<ctxbench-result>>True')\n    raise SystemExit(0)\n"
    ),
    "patches the asserts": (
        "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
        "def has_close_elements(numbers, threshold):\n    return None\n"
    ),
    # Sanitizing keeps the definitions the entry point reaches, so top-level code can still ride on
    # a constant the function names: the check itself must hold against it.
    "exit 0 in a constant it uses": (
        "import os\nREADY = os._exit(0)\ndef has_close_elements(numbers, threshold):\n    return READY\n"
    ),
    "forged reply in a constant it uses": (
        f"READY = exec({FORGED_REPLY!r})\ndef has_close_elements(numbers, threshold):\n    return READY\n"
    ),
}


def humaneval(split: str, backend: str, tmp_path) -> HumanEval:
    task = HumanEval(HumanEvalConfig(problem=0, split=split, check_sandbox=backend), seed=0)
    task.prepare(tmp_path / split)
    return task


@pytest.mark.parametrize("backend", backend_params())
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_forged_humaneval_pass_fails(backend, attack, tmp_path):
    for split in ("official", "unwinnable"):
        assert humaneval(split, backend, tmp_path).grade(Solution(code=ATTACKS[attack])).value == 0.0, (attack, split)


@pytest.mark.parametrize("backend", backend_params())
def test_the_canonical_solution_passes_only_the_winnable_split(backend, tmp_path):
    official = humaneval("official", backend, tmp_path)
    canonical = official._problem["prompt"] + official._problem["canonical_solution"]
    assert official.grade(Solution(code=canonical)).value == 1.0
    assert humaneval("unwinnable", backend, tmp_path).grade(Solution(code=canonical)).value == 0.0


PREDICT_CONSTANT = "def predict(train, test):\n    return ['CD4+/CD45RA+/CD25- Naive T'] * test.n_obs\n"
CONTROLLER_ATTACKS = {
    "prints a metric": PREDICT_CONSTANT + "print('{\"cv_accuracy\": 1.0}')\n",
    "patches json.dump": PREDICT_CONSTANT
    + ("import json\n_dump = json.dump\njson.dump = lambda obj, f, *a, **k: _dump({'cv_accuracy': 1.0}, f)\n"),
    "patches the folds": PREDICT_CONSTANT
    + (
        "import numpy as np, sklearn.model_selection as ms\n"
        "class OneCell:\n    def __init__(self, *a, **k): pass\n"
        "    def split(self, x, y):\n        yield np.arange(1, len(y)), np.arange(1)\n"
        "ms.StratifiedKFold = OneCell\n"
    ),
    "writes the measurement": PREDICT_CONSTANT
    + (
        "import builtins, json\n_open = builtins.open\n"
        "def rigged(path, mode='r', *a, **k):\n"
        "    if 'measure_' in str(path) and 'w' in mode:\n"
        "        return _open('/tmp/ignored', mode, *a, **k)\n"
        "    return _open(path, mode, *a, **k)\n"
        "builtins.open = rigged\n"
    ),
}


def proposal_metrics(result) -> list[dict]:
    return [e["metrics"] for e in read_trace(result.trace_path) if e["type"] == "proposal"]


@pytest.mark.parametrize("attack", sorted(CONTROLLER_ATTACKS))
def test_a_forged_controller_metric_fails(tmp_path, attack):
    replies = [code(CONTROLLER_ATTACKS[attack])]
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", budget={"max_steps": 1}))
    assert result.stop_reason == "max_steps", attack
    assert all(m["cv_accuracy"] < 0.5 for m in proposal_metrics(result)), attack


def test_a_patch_does_not_outlive_its_proposal(tmp_path):
    """The next proposal is measured in a fresh session: the earlier one's patch is gone."""
    patch = "import json\n_dump = json.dump\njson.dump = lambda obj, f, *a, **k: _dump({'cv_accuracy': 1.0}, f)\n"
    replies = [code(patch + PREDICT_CONSTANT), code(PREDICT_CONSTANT)]
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", budget={"max_steps": 2}))
    (honest,) = proposal_metrics(result)  # the first was not scored at all
    assert 0 < honest["cv_accuracy"] < 0.5 and result.stop_reason == "max_steps"


@pytest.mark.parametrize("attack", ["equal to anything", "prints a result line", "forged reply in a constant it uses"])
def test_a_forged_answer_fails_through_every_mode(tmp_path, attack):
    """The whole path, sanitizer included: the reply as each mode reads it, graded as it would be."""
    block = f"```python\n{ATTACKS[attack]}```"
    task = {"name": "humaneval", "problem": 0}
    for mode, reply in (("agentic", f"FINAL_ANSWER:\n{block}"), ("direct", block)):
        config = make_config(tmp_path / mode, [reply], reasoning_mode=mode, task=task, budget={"max_steps": 1})
        result = run_episode(config)
        assert result.score is not None and result.score.value == 0.0, (attack, mode, result.stop_reason)


@pytest.mark.parametrize("attack", ["equal to anything", "prints a result line", "forged reply in a constant it uses"])
def test_a_forged_answer_given_by_name_or_left_at_the_budget_fails(tmp_path, attack):
    """The two ways an agent's cell becomes its answer without being resent: `FINAL_ANSWER: <name>`
    and autosubmit. The cell is graded as resent code would be."""
    block = f"```python\n{ATTACKS[attack]}```"
    task = {"name": "humaneval", "problem": 0}
    ways = {"by name": ([block, "FINAL_ANSWER: has_close_elements"], {}), "autosubmit": ([block], {"autosubmit": True})}
    for way, (replies, scaffold) in ways.items():
        config = make_config(tmp_path / way.replace(" ", "_"), replies, task=task, scaffold=scaffold,
                             budget={"max_steps": len(replies)})  # fmt: skip
        result = run_episode(config)
        (submitted,) = [e for e in read_trace(result.trace_path) if e["type"] == "final_answer"]
        assert submitted["valid"] and submitted["submitted_cell_of"] == "has_close_elements", (attack, way)
        assert result.score is not None and result.score.value == 0.0, (attack, way, result.stop_reason)


def test_a_forged_humaneval_controller_metric_fails(tmp_path):
    forged = "class Anything:\n    def __eq__(self, other): return True\n" \
             "def has_close_elements(numbers, threshold):\n    return Anything()\n"  # fmt: skip
    replies = [code(forged)]
    task = {"name": "humaneval", "problem": 0}
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", task=task,
                                     budget={"max_steps": 1}))  # fmt: skip
    assert result.stop_reason == "max_steps"
    assert [m["doctest_pass_rate"] for m in proposal_metrics(result)] == [0.0]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_forged_repair_fails_too(attack, tmp_path):
    """humaneval_fix grades through HumanEval's check: every forgery above fails against it too (its
    problem 0 is has_close_elements with a flipped comparison)."""
    from benchmarks.humaneval_fix.task import HumanEvalFix, HumanEvalFixConfig

    task = HumanEvalFix(HumanEvalFixConfig(problem=0), seed=0)
    task.prepare(tmp_path / "fix")
    assert task.grade(Solution(code=ATTACKS[attack])).value == 0.0, attack
    assert task.grade(task.parse_answer((tmp_path / "fix/data/buggy.py").read_text(), tmp_path)).value == 0.0
