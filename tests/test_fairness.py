"""Every policy sees the same facts: on one trajectory, what differs between policies is only what
each is meant to change; task documents reach every policy alike (through the `retrieve` tool);
and replaying a trace under its own policy reproduces the live run's context, step by step."""

import pytest
from pydantic import TypeAdapter

from benchmarks.pbmc_annotation.task import PbmcAnnotation
from context_policies import AnyPolicyConfig, policy_from_config
from context_policies.base import PINNED_KINDS, BuildContext, Item, apply_with_budget
from context_policies.observation_masking import placeholder
from ctxbench.events import Event
from ctxbench.replay import replay
from ctxbench.runner import run_episode
from ctxbench.tracing.reader import load_episode
from tests.conftest import needs_bwrap
from tests.policy_helpers import counter, fake_summarizer, history
from tests.test_episode_scripted import code, make_config

ADAPTER: TypeAdapter = TypeAdapter(AnyPolicyConfig)
MADE_KINDS = frozenset({"summary", "retrieved", "state"})  # items a policy writes itself
# Each policy, and which kinds of items it may add and whether it may mask outputs: nothing else.
POLICIES = {
    "full_history": ({"type": "full_history"}, set(), False),
    "sliding_window": ({"type": "sliding_window", "turns": 2}, set(), False),
    "observation_masking": ({"type": "observation_masking", "keep_last": 1}, set(), True),
    "summarization": ({"type": "summarization", "keep_last": 2, "trigger_tokens": 1}, {"summary"}, False),
    "retrieval": ({"type": "retrieval", "keep_last": 2, "top_k": 2}, {"retrieved"}, False),
    "structured_state": ({"type": "structured_state", "keep_last": 2}, {"state"}, False),
    "budget_mix": ({"type": "budget_mix", "context_tokens": None, "keep_last": 2}, {"summary", "retrieved", "state"},
                   False),
    "short_context preset": ({"type": "pipeline", "stages": [
        {"type": "retrieval", "keep_last": 3, "top_k": 2, "retrieved_tokens": 400},
        {"type": "observation_masking", "keep_last": 1}]}, {"retrieved"}, True),
}  # fmt: skip

TURNS = [
    ("```python\nimport anndata\nadata = anndata.read_h5ad('/data/pbmc68k_heldout.h5ad')\n```", "700 cells"),
    ("```python\nprint(adata.obs.columns)\n```", "Index(['louvain', 'n_genes'])"),
    ("I will look at the clusters.", "Your reply has no ```python code block."),
    ("```python\nprint(adata.obs['louvain'].value_counts())\n```", "0: 120\n1: 98\n2: 80"),
    ("ACTION: retrieve louvain", "[step 2 observation]\nIndex(['louvain', 'n_genes'])"),
    ("```python\nprint(adata.n_vars)\n```", "765"),
]
NOTE = "Clarification. Q: which labels?\nA: bulk_labels"


def trajectory() -> list[Item]:
    events = history(TURNS)
    events[6] = Event("feedback", events[6].content, events[6].step, {"feedback_kind": "no_action"})
    items = [Item.of(e) for e in events]
    return [*items[:2], Item("clarification", NOTE, 0), *items[2:]]


def view_of(config: dict, items: list[Item]) -> list[Item]:
    parsed = ADAPTER.validate_python(config)
    ctx = BuildContext([], counter(), fake_summarizer([]))
    return apply_with_budget(policy_from_config(parsed), parsed, list(items), ctx)


@pytest.mark.parametrize("name", list(POLICIES))
def test_a_policy_changes_only_what_it_is_meant_to(name):
    config, may_make, may_mask = POLICIES[name]
    items = trajectory()
    view = view_of(config, items)

    pinned = [i for i in items if i.kind in PINNED_KINDS]
    assert view[: len(pinned)] == pinned, "system, task and clarifications: first, whole, for every policy"
    made = [i for i in view if i.kind in MADE_KINDS]
    assert {i.kind for i in made} <= may_make, f"{name} adds {[i.kind for i in made]}"
    assert all("[task document]" not in i.content for i in made), "no facts from outside the agent's past"

    shown = [i for i in view[len(pinned) :] if i.kind not in MADE_KINDS]
    past = [i for i in items if i.kind not in PINNED_KINDS]
    it = iter(past)  # what is shown of the past is an in-order subsequence of it, each item as it was ...
    for item in shown:
        original = next((p for p in it if (p.kind, p.step) == (item.kind, item.step)), None)
        assert original is not None, f"{name} shows {item.kind} of step {item.step} out of order or invented"
        masked = may_mask and item.kind == "observation" and item.content == placeholder(original, _ctx())
        assert item == original or masked, f"{name} changed {item.kind} of step {item.step}"
    newest = [i for i in past if i.step == len(TURNS)]
    assert shown[-len(newest) :] == newest, "... and the newest turn is shown whole by every policy"


def _ctx() -> BuildContext:
    return BuildContext([], counter())


def test_full_history_is_the_trajectory_itself():
    assert view_of({"type": "full_history"}, trajectory()) == trajectory()


@pytest.mark.parametrize("name", list(POLICIES))
def test_before_the_first_step_every_policy_shows_what_full_history_shows(name):
    # issue 20's pilot: an empty state block shown last at step 1 drew an invented answer from the
    # 0.5B in 8 of 8 smoke_sum episodes; with nothing past yet, no policy has anything to change
    events = history([])
    items = [Item.of(e) for e in events]
    parsed = ADAPTER.validate_python(POLICIES[name][0])
    ctx = BuildContext(events, counter(), fake_summarizer([]))
    assert apply_with_budget(policy_from_config(parsed), parsed, list(items), ctx) == items


# --- live episodes: documents through the tool, replay equal to live ------------------------------

REPLIES = [
    code("print('x' * 300)"),
    "ACTION: ask_clarifying which labels are the cell types?",
    "I am thinking.",  # no action: feedback
    code("print('louvain ' * 100)"),
    "ACTION: retrieve majority label per louvain cluster",
    code("print('y' * 300)"),
    code("print(1)"),
]
NON_LLM = [name for name, (config, _, _) in POLICIES.items() if name != "summarization"]


def episode_config(tmp_path, policy: dict):
    return make_config(tmp_path, REPLIES, policy=policy, budget={"max_steps": len(REPLIES)})


@needs_bwrap
@pytest.mark.parametrize("name", NON_LLM)
def test_replay_reproduces_the_live_context_of_every_non_llm_policy(tmp_path, name):
    config = episode_config(tmp_path, POLICIES[name][0])
    result = run_episode(config)
    assert result.totals.steps == len(REPLIES)
    rows = replay(result.trace_path, config.policy, counter())
    assert [r["replayed_tokens"] for r in rows] == [r["original_tokens"] for r in rows]
    live = [c["messages"] for c in load_episode(result.trace_path).llm_calls]
    assert any("Clarification. Q: which labels are the cell types?" in str(m) for m in live[-1])


@needs_bwrap
def test_task_documents_reach_every_policy_through_the_retrieve_tool_only(tmp_path):
    document = PbmcAnnotation.folder.joinpath("baseline.py").read_text().splitlines()[0]
    seen = {}
    for name in ("full_history", "retrieval", "short_context preset"):
        result = run_episode(episode_config(tmp_path / name.replace(" ", "_"), POLICIES[name][0]))
        trace = load_episode(result.trace_path)
        (hit,) = [e for e in trace.events if e["type"] == "event" and e["step"] == 5 and e["kind"] == "observation"]
        assert "[task document]" in hit["content"] and document in hit["content"], name
        first = trace.llm_calls[0]["messages"]
        assert not any("[task document]" in str(m["content"]) for m in first), f"{name} injected a document"
        seen[name] = first
    assert seen["full_history"] == seen["retrieval"] == seen["short_context preset"]
