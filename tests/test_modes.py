"""Both reasoning modes, every tool and every stop reason, with the scripted model (real task and sandbox)."""

import pytest

from benchmarks.pbmc_annotation.task import PbmcAnnotation
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import code, make_config

pytestmark = needs_bwrap
REFERENCE = PbmcAnnotation.folder.joinpath("reference.py").read_text()
GOOD_PREDICT = """
from sklearn.linear_model import LogisticRegression
def predict(train, test):
    model = LogisticRegression(max_iter=2000, C=0.5).fit(train.X, train.obs["bulk_labels"].astype(str))
    return model.predict(test.X)
"""
WEAK_PREDICT = """
def predict(train, test):
    return [train.obs["bulk_labels"].astype(str).mode()[0]] * test.n_obs
"""


def observations(result) -> list[str]:
    return [m["content"] for m in [e for e in read_trace(result.trace_path) if e["type"] == "llm_call"][-1]["messages"]]


def test_agentic_tools_files_retrieval_and_clarifications(tmp_path):
    replies = [
        "ACTION: ask_clarifying which metric is used?",
        code("open('/work/notes.txt', 'w').write('louvain looks useful')"),
        "ACTION: list_files",
        "ACTION: read_file notes.txt",
        "ACTION: read_file ../hidden/labels.json",  # outside /work: refused, the episode goes on
        "ACTION: retrieve louvain",
        "ACTION: ask_clarifying Which metric is used?",  # asked again: the kept answer is reused
        "ACTION: list_files",
    ]
    result = run_episode(make_config(tmp_path, replies, budget={"max_steps": 8}))
    seen = observations(result)
    assert result.stop_reason == "max_steps"
    assert any(m.startswith("Clarification. Q: which metric is used?\nA: Plain accuracy") for m in seen[:4])
    assert "notes.txt  (20 bytes)" in seen
    assert "louvain looks useful" in seen
    assert any("path must be inside /work" in m for m in seen)
    (retrieved,) = [m for m in seen if m.startswith("[step 4 observation]\nlouvain looks useful")]
    assert "[step 2 assistant]" in retrieved and "ACTION: retrieve" not in retrieved  # not the asking step
    events = read_trace(result.trace_path)
    assert [e["reused"] for e in events if e["type"] == "clarification"] == [False, True]
    assert sum(1 for m in seen if m.startswith("Clarification.")) == 1


def test_invalid_final_answer_is_fed_back_and_counted_then_valid_one_ends(tmp_path):
    replies = ["FINAL_ANSWER: nothing.csv", code(REFERENCE), "FINAL_ANSWER: predictions.csv"]
    result = run_episode(make_config(tmp_path, replies))
    assert result.stop_reason == "final_answer" and result.score.passed
    assert result.totals.invalid_answers == 1
    assert any("Your answer was not accepted: /work/nothing.csv does not exist" in m for m in observations(result))


def test_every_malformed_kind_is_fed_back_and_counted(tmp_path):
    replies = ["", "just words", {"text": "```python\nx = [", "finish_reason": "length"}, "ACTION: teleport me"]
    result = run_episode(make_config(tmp_path, replies, budget={"max_steps": 4}))
    assert result.totals.malformed == {"empty_reply": 1, "no_action": 1, "truncated": 1, "unknown_tool": 1}
    assert result.totals.format_errors == 4 and result.stop_reason == "max_steps"


def test_native_tool_protocol_round_trip(tmp_path):
    replies = [
        {"tool_calls": [{"name": "run_python", "arguments": '{"code": "6 * 7"}'}]},
        {"tool_calls": [{"name": "run_python", "arguments": '{"code": '}]},  # bad JSON
        {"tool_calls": [{"name": "read_file", "arguments": {"path": "x", "bogus": 1}}]},  # invalid args
        {
            "tool_calls": [
                {"name": "run_python", "arguments": {"code": REFERENCE}},
                {"name": "list_files", "arguments": {}},
            ]
        },  # two calls: the second is not run
        {"tool_calls": [{"name": "final_answer", "arguments": {"answer": "predictions.csv"}}]},
    ]
    result = run_episode(make_config(tmp_path, replies, tool_protocol="native"))
    assert result.stop_reason == "final_answer" and result.score.passed
    assert result.totals.malformed == {"bad_json": 1, "invalid_args": 1, "extra_call": 1}
    calls = [e for e in read_trace(result.trace_path) if e["type"] == "llm_call"]
    messages = calls[-1]["messages"]
    assert messages[2]["tool_calls"][0]["function"]["name"] == "run_python"
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1_0", "content": "Output of your code:\n42"}
    answered = {m.get("tool_call_id") for m in messages if m["role"] == "tool"}
    offered = {c["id"] for m in messages for c in m.get("tool_calls", [])}
    assert offered <= answered  # every tool call got its tool message


def test_a_failed_cell_is_answered_in_the_protocols_own_terms(tmp_path):
    """A native-mode model told to reply with "a ```python block" writes one, which is no tool call."""
    failing = {"tool_calls": [{"name": "run_python", "arguments": '{"code": "1 / 0"}'}]}
    native = run_episode(make_config(tmp_path / "native", [failing, failing], tool_protocol="native",
                                     budget={"max_steps": 2}))  # fmt: skip
    (told,) = [m for m in observations(native) if "ZeroDivisionError" in m]
    assert "Call run_python again" in told and "```python" not in told
    text = run_episode(make_config(tmp_path / "text", [code("1 / 0"), code("1 / 0")], budget={"max_steps": 2}))
    (told,) = [m for m in observations(text) if "ZeroDivisionError" in m]
    assert "corrected, complete ```python block" in told


def test_controller_keeps_the_best_proposal_and_stops_at_target(tmp_path):
    replies = [
        code("def predict(train, test):\n    return 1 / 0"),
        "no code here",
        code(WEAK_PREDICT),
        code(GOOD_PREDICT),
    ]
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", budget={"max_steps": 6}))
    assert result.stop_reason == "target_reached"
    assert result.score.passed and result.score.value >= 0.8
    proposals = [e for e in read_trace(result.trace_path) if e["type"] == "proposal"]
    assert [p["iteration"] for p in proposals] == [2, 3]
    assert proposals[0]["metrics"]["cv_accuracy"] < 0.5 <= 0.8 <= proposals[1]["metrics"]["cv_accuracy"]
    assert result.totals.malformed == {"no_action": 1}


def test_controller_grades_the_best_proposal_when_iterations_run_out(tmp_path):
    replies = [code(WEAK_PREDICT), code("def predict(train, test):\n    return ['x'] * test.n_obs")]
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", budget={"max_steps": 2}))
    assert result.stop_reason == "max_steps"
    assert 0.2 < result.score.value < 0.5  # the weak (majority) proposal, better than the constant 'x'
    assert "Best so far: iteration 1" in observations(result)[-1]


def test_controller_grades_the_best_proposal_when_the_context_outgrows_the_window(tmp_path):
    replies = [code(WEAK_PREDICT), {"fail": "context_overflow"}]
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", budget={"max_steps": 4}))
    assert result.stop_reason == "context_overflow"
    assert 0.2 < result.score.value < 0.5  # the weak proposal's answer, as at the step limit


@pytest.mark.parametrize(
    ("budget", "reason"),
    [
        ({"max_steps": 1}, "max_steps"),
        ({"episode_tokens": 10}, "episode_tokens"),
        ({"wall_time_s": 0.001}, "wall_time"),
    ],
)
def test_budget_stop_reasons(tmp_path, budget, reason):
    result = run_episode(make_config(tmp_path, [code("x = 1")] * 3, budget=budget))
    assert result.stop_reason == reason
    assert read_trace(result.trace_path)[-1]["stop_reason"] == reason


def test_cost_budget_stops_the_episode(tmp_path):
    model = {"backend": "scripted", "scripted_replies": [code("x = 1")] * 3, "usd_per_mtok_prompt": 1.0}
    result = run_episode(make_config(tmp_path, [], model=model, budget={"max_cost_usd": 1e-6}))
    assert result.stop_reason == "max_cost"
    assert result.totals.steps == 1 and result.totals.cost_usd >= 1e-6


def test_controller_tunes_json_configs_on_an_ml_task(tmp_path):
    from benchmarks.ml_tabular.task import reference_proposal

    replies = [
        "I propose a forest with many trees",  # no JSON object
        '```json\n{"model": "quantum_forest"}\n```',  # unknown model: measuring fails, fed back
        '{"model": "knn", "params": {"n_neighbors": 120}}',  # near the majority class
        f"```json\n{reference_proposal('classification')}\n```",
    ]
    config = make_config(tmp_path, replies, reasoning_mode="controller", task={"name": "ml_wine"})
    result = run_episode(config)
    assert result.stop_reason == "target_reached" and result.score.passed
    seen = observations(result)
    assert any("unknown model 'quantum_forest'" in m for m in seen)
    assert any("cv_accuracy is nan: the proposal could not be scored" in m for m in seen)  # knn, k > fold size
    proposals = [e for e in read_trace(result.trace_path) if e["type"] == "proposal"]
    assert [p["iteration"] for p in proposals] == [3]
    assert proposals[0]["metrics"]["cv_accuracy"] >= result.score.target
    assert result.totals.malformed == {"no_action": 1}


def test_controller_on_humaneval_scores_docstring_examples_and_grades_with_hidden_tests(tmp_path):
    from benchmarks.humaneval.task import load_problems

    problem = load_problems()[2]  # truncate_number: has a docstring example
    wrong = code("def truncate_number(number: float) -> float:\n    return number")
    right = code(problem["prompt"] + problem["canonical_solution"])
    result = run_episode(make_config(tmp_path, [wrong, right], reasoning_mode="controller",
                                     task={"name": "humaneval", "problem": 2}))  # fmt: skip
    assert result.stop_reason == "target_reached" and result.score.value == 1.0
    rates = [p["metrics"]["doctest_pass_rate"] for p in read_trace(result.trace_path) if p["type"] == "proposal"]
    assert rates == [0.0, 1.0]


def test_controller_prompt_replaces_the_answer_section_with_the_proposal_format(tmp_path):
    result = run_episode(make_config(tmp_path, ["no code"], reasoning_mode="controller", budget={"max_steps": 1}))
    task_message = observations(result)[1]
    assert "FINAL_ANSWER" not in task_message and "predictions.csv" not in task_message
    assert "def predict(train, test):" in task_message and "/data/pbmc68k_heldout.h5ad" in task_message


def test_default_controller_is_the_single_shot_loop_with_validated_answers(tmp_path):
    from benchmarks.pbmc_cell_cycle.task import PbmcCellCycle

    reference = (PbmcCellCycle.folder / "reference.py").read_text()
    invalid = code("open('/work/phases.json', 'w').write('{\"G1\": 2}')")
    replies = [code("x = 1"), invalid, code(reference)]
    result = run_episode(make_config(tmp_path, replies, reasoning_mode="controller", task={"name": "pbmc_cell_cycle"}))
    assert result.stop_reason == "target_reached" and result.score.passed
    seen = observations(result)
    assert any("iteration 1: its output is not a valid answer: /work/proposal_1_phases.json does not exist" in m
               for m in seen)  # fmt: skip
    assert any("iteration 2: its output is not a valid answer: expected a JSON object" in m for m in seen)
