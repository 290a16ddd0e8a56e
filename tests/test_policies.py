"""What each policy keeps, masks, summarizes or retrieves, on hand-made histories (real tokenizer)."""

import json

import pytest
from pydantic import TypeAdapter

from context_policies import AnyPolicyConfig, ContextBuilder, policy_from_config
from ctxbench.errors import HarnessError
from tests.policy_helpers import SYSTEM, TASK, counter, fake_summarizer, history

ADAPTER: TypeAdapter = TypeAdapter(AnyPolicyConfig)
TURNS = [(f"```python\nstep_{i} = {i}\n```", f"Output of your code:\nvalue {i} " + "x" * 200) for i in range(1, 7)]


def builder(config: dict, summarizer=None):
    parsed = ADAPTER.validate_python(config)
    return ContextBuilder(policy_from_config(parsed), parsed, counter(), summarizer)


def contents(view) -> list[str]:
    return [m["content"] for m in view.messages]


def test_full_history_is_everything():
    events = history(TURNS)
    view = builder({"type": "full_history"}).build(events)
    assert view.messages == [e.to_message() for e in events]
    assert view.record["tokens_before"] == view.record["tokens_after"]


@pytest.mark.parametrize("turns", [1, 2, 6, 10])
def test_sliding_window_keeps_last_n_turns_and_the_fixed_parts(turns):
    view = builder({"type": "sliding_window", "turns": turns}).build(history(TURNS))
    kept = min(turns, len(TURNS))
    assert contents(view)[:2] == [SYSTEM, TASK]
    assert len(view.messages) == 2 + 2 * kept
    assert contents(view)[-2] == TURNS[-1][0]  # the newest turn is always there
    assert view.record.get("dropped", 0) == 2 * (len(TURNS) - kept)


def test_sliding_window_of_zero_is_rejected_not_everything():
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        ADAPTER.validate_python({"type": "sliding_window", "turns": 0})


@pytest.mark.parametrize("keep_last", [0, 2, 6])
def test_observation_masking_replaces_old_outputs_with_a_placeholder(keep_last):
    view = builder({"type": "observation_masking", "keep_last": keep_last}).build(history(TURNS))
    observations = contents(view)[3::2]
    masked = len(TURNS) - keep_last
    assert all(o.startswith("[output of step") and "omitted" in o for o in observations[:masked])
    assert observations[masked:] == [t[1] for t in TURNS[masked:]]
    assert contents(view)[2::2] == [t[0] for t in TURNS]  # the model's own messages stay
    assert view.record.get("masked", 0) == masked
    assert view.record["tokens_after"] < view.record["tokens_before"] or masked == 0


def test_summarization_fires_at_threshold_and_is_incremental():
    calls: list = []
    build = builder({"type": "summarization", "keep_last": 2, "trigger_tokens": 150}, fake_summarizer(calls)).build
    events = history(TURNS[:2])
    assert builder({"type": "summarization"}, fake_summarizer([])).build(events).messages == [
        e.to_message() for e in events
    ]
    events = history(TURNS)
    view = build(events)
    assert len(calls) == 1
    assert "step_1 = 1" in calls[0][-1]["content"] and "step_4 = 4" in calls[0][-1]["content"]
    assert contents(view)[2].startswith("Summary of steps so far:\nsummary #1")
    assert contents(view)[3:] == [c for t in TURNS[-2:] for c in t]
    assert view.record["summarized"] == 8
    assert build(events).messages == view.messages and len(calls) == 1  # same history: no new call
    events.extend(history([(f"```python\nmore_{i}\n```", "y" * 300) for i in range(3)])[2:])  # the episode goes on
    build(events)
    assert len(calls) == 2
    assert "Current summary:\nsummary #1" in calls[1][-1]["content"]  # incremental: old summary + new turns
    assert "step_1 = 1" not in calls[1][-1]["content"]


def test_summarization_without_an_llm_is_a_clear_error():
    with pytest.raises(HarnessError, match="needs an LLM summarizer"):
        builder({"type": "summarization", "trigger_tokens": 1}).build(history(TURNS))


def test_retrieval_brings_back_the_relevant_old_turn():
    turns = [
        ("```python\nimport anndata\n```", "loaded 700 cells"),
        ("```python\nadata.obs['louvain'].value_counts()\n```", "louvain clusters: 0 1 2 3 4 5 6 7 8 9 10"),
        ("```python\nprint('hello')\n```", "hello"),
        ("```python\nprint('world')\n```", "world"),
        ("```python\ncounts = adata.obs['louvain']\n```", "KeyError while grouping louvain clusters"),
    ]
    view = builder({"type": "retrieval", "keep_last": 1, "top_k": 2}).build(history(turns))
    retrieved = contents(view)[2]
    assert retrieved.startswith("Relevant earlier steps (retrieved):")
    assert "louvain clusters: 0 1 2" in retrieved
    assert "hello" not in retrieved
    assert contents(view)[3:] == list(turns[-1])
    assert len(view.record["retrieved"]) == 2


def test_structured_state_tracks_plan_facts_results_and_open_questions():
    events = history([("Plan:\n1. load the data\n2. train a classifier\n```python\nx\n```", "n_obs: 700")])
    events.append(events[-2].__class__("assistant", "```python\n1/0\n```", 2))
    events.append(
        events[-1].__class__(
            "observation",
            "Output...",
            2,
            {"outcome": "error", "stdout": "", "error": "ZeroDivisionError: division by zero"},
        )
    )
    view = builder({"type": "structured_state", "keep_last": 1}).build(events)
    state = json.loads(contents(view)[2].split("\n", 1)[1])
    assert state["plan"] == ["load the data", "train a classifier"]
    assert state["facts"] == ["n_obs: 700"]
    assert state["results"] == ["step 1: ok: n_obs: 700", "step 2: error: ZeroDivisionError: division by zero"]
    assert state["open_questions"] == ["step 2 failed: ZeroDivisionError: division by zero"]
    assert contents(view)[3:] == ["```python\n1/0\n```", "Output..."]


def test_budget_mix_fits_its_budget_giving_up_the_summary_first():
    events = history(TURNS * 3)
    roomy = builder({"type": "budget_mix", "context_tokens": 5000, "keep_last": 2, "top_k": 1}).build(events)
    kinds = [c.split("\n", 1)[0] for c in contents(roomy)[2:5]]
    assert kinds == ["Earlier steps, one line each:", "Relevant earlier steps (retrieved):",
                     "Your working state (kept by the harness, JSON):"]  # fmt: skip
    tight_budget = roomy.record["tokens_after"] - 100
    tight = builder({"type": "budget_mix", "context_tokens": tight_budget, "keep_last": 2, "top_k": 1}).build(events)
    assert tight.record["tokens_after"] <= tight_budget
    assert not any(c.startswith("Earlier steps, one line each:") for c in contents(tight))
    assert any(c.startswith("Your working state") for c in contents(tight))


def test_pipeline_applies_stages_in_order_and_its_budget_last():
    stages = [{"type": "sliding_window", "turns": 4}, {"type": "observation_masking", "keep_last": 1}]
    config = {"type": "pipeline", "context_tokens": 400, "stages": stages}
    view = builder(config).build(history(TURNS))
    assert view.record["tokens_after"] <= 400
    assert contents(view)[:2] == [SYSTEM, TASK]
    assert contents(view)[-1] == TURNS[-1][1]
    assert all("omitted" in c for c in contents(view)[3:-1:2])


def test_fixed_parts_over_budget_are_reported():
    view = builder({"type": "full_history", "context_tokens": 10}).build(history(TURNS))
    assert contents(view) == [SYSTEM, TASK]
    assert "system prompt and task alone need" in view.record["over_budget"]
