"""What a policy did and what its stable prefix saved, from traces: activity, the client-side
prefix-reuse estimate, and the cost with cache reads at the configured discount."""

from pathlib import Path

import pytest

from ctxbench.context_figures import activity, client_reused_tokens, context_figures, cost_with_cache_reads
from ctxbench.tracing.reader import EpisodeTrace


def call(messages: list[str], prompt_tokens: int, completion_tokens: int = 10, **context) -> dict:
    return {"messages": [{"role": "user", "content": m} for m in messages], "context": context,
            "reply": {"usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}}  # fmt: skip


def trace(*calls: dict, prices: tuple[float, float, float] = (0.0, 0.0, 0.5)) -> EpisodeTrace:
    model = {"usd_per_mtok_prompt": prices[0], "usd_per_mtok_completion": prices[1], "cache_read_discount": prices[2]}
    return EpisodeTrace(path=Path("t.jsonl"), start={"config": {"model": model}}, llm_calls=list(calls))


def test_activity_is_the_share_of_calls_whose_context_the_policy_changed():
    assert activity(trace(call(["a"], 10), call(["a", "b"], 20, dropped=1), call(["b"], 10, masked=2))) == 2 / 3
    assert activity(trace(call(["a"], 10), call(["a", "b"], 20, dropped=0))) == 0.0
    assert activity(trace()) is None


def test_an_appended_history_is_reused_and_a_rewritten_one_is_not():
    grown = trace(call(["task"], 100), call(["task", "reply one"], 200), call(["task", "reply one", "two"], 300))
    reused = client_reused_tokens(grown)
    assert 200 * 0.4 + 300 * 0.6 < reused < 200 + 300  # most of each later prompt is the one before it
    assert context_figures(grown)["client_reused_share"] == pytest.approx(reused / 600)
    rewritten = trace(call(["task", "x" * 50], 100), call(["summary of it all", "x" * 50], 100))
    assert client_reused_tokens(rewritten) <= 100 * 0.1  # a new first message: nearly nothing shared


def test_cost_with_cache_reads_charges_reused_prompt_tokens_at_the_discount():
    episode = trace(call(["a"], 1_000_000, 0), call(["a", "b"], 1_000_000, 1_000_000), prices=(2.0, 8.0, 0.25))
    assert cost_with_cache_reads(episode, 0) == pytest.approx(2 * 2.0 + 8.0)
    assert cost_with_cache_reads(episode, 1_000_000) == pytest.approx(2.0 + 0.25 * 2.0 + 8.0)
    assert cost_with_cache_reads(episode, 10**9) == pytest.approx(2 * 0.25 * 2.0 + 8.0)  # never more than all of it
