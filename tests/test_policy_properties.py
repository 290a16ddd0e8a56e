"""Property tests over random histories, with the model's real tokenizer: a policy never drops the
system prompt or the task, never exceeds its budget (or says the fixed parts alone exceed it),
reports its token counts honestly, and is deterministic for the same history."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from context_policies import AnyPolicyConfig, ContextBuilder, policy_from_config
from ctxbench.events import Event
from tests.policy_helpers import counter, fake_summarizer

ADAPTER: TypeAdapter = TypeAdapter(AnyPolicyConfig)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
words = st.lists(
    st.sampled_from(["adata", "obs", "KeyError", "louvain", "accuracy", "0.84", "csv", "x = 1"]), max_size=60
).map(" ".join)
body = st.one_of(text, words)


@st.composite
def histories(draw) -> list[Event]:
    events = [Event("system", draw(body), 0), Event("task", draw(body), 0)]
    for step in range(1, draw(st.integers(0, 25)) + 1):
        events.append(Event("assistant", draw(body), step))
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["observation", "feedback"]))
            outcome = draw(st.sampled_from(["ok", "error"]))
            content = draw(body)
            events.append(Event(kind, content, step, {"outcome": outcome, "stdout": content, "error": None}))
    return events


def stage(kind: str, draw) -> dict:
    n = st.integers(1, 6)
    return {
        "full_history": {},
        "sliding_window": {"turns": draw(n)},
        "observation_masking": {"keep_last": draw(st.integers(0, 5))},
        "summarization": {"keep_last": draw(n), "trigger_tokens": draw(st.integers(1, 400))},
        "retrieval": {"keep_last": draw(n), "top_k": draw(n), "retrieved_tokens": draw(st.integers(16, 300))},
        "structured_state": {"keep_last": draw(n)},
        "budget_mix": {"keep_last": draw(n), "top_k": draw(st.integers(0, 3)),
                       "summary": draw(st.sampled_from(["digest", "llm", "none"])), "state": draw(st.booleans())},
    }[kind] | {"type": kind}  # fmt: skip


KINDS = ["full_history", "sliding_window", "observation_masking", "summarization", "retrieval",
         "structured_state", "budget_mix"]  # fmt: skip


@st.composite
def policy_configs(draw) -> dict:
    if draw(st.booleans()):
        config = stage(draw(st.sampled_from(KINDS)), draw)
    else:
        config = {
            "type": "pipeline",
            "stages": [stage(k, draw) for k in draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3))],
        }
    config["context_tokens"] = draw(st.one_of(st.none(), st.integers(20, 3000)))
    return config


def build(config_dict: dict, events: list[Event]):
    config = ADAPTER.validate_python(config_dict)
    builder = ContextBuilder(policy_from_config(config), config, counter(), fake_summarizer([]))
    return builder.build(events)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), policy_configs())
def test_policy_properties(events, config_dict):
    view = build(config_dict, events)
    fixed = [e.to_message() for e in events[:2]]

    assert view.messages[:2] == fixed, "system prompt and task are always first, unchanged"
    assert view.record["tokens_after"] == counter().count_messages(view.messages)
    assert view.record["tokens_before"] == counter().count_messages([e.to_message() for e in events])
    budget = config_dict["context_tokens"]
    if budget is not None and view.record["tokens_after"] > budget:
        assert "over_budget" in view.record
        assert counter().count_messages(fixed) > budget, "only the fixed parts may exceed the budget"
        assert view.messages == fixed
    assert build(config_dict, events).messages == view.messages, "deterministic for the same history"
