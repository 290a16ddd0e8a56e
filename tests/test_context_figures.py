"""What a policy did and what its stable prefix saved, from traces: activity, the client-side
prefix-reuse estimate, and the cost with cache reads at the configured discount."""

from pathlib import Path

import pytest

from ctxbench.context_figures import (
    activity,
    client_reused_tokens,
    context_figures,
    cost_with_cache_reads,
    server_prompt_evals,
)
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


SERVER_LOG = """0.11.558.132 I slot print_timing: id  0 | task 9 | prompt eval time =    4296.86 ms /   650 tokens
0.11.558.156 I slot print_timing: id  0 | task 9 |        eval time =    2950.47 ms /   167 tokens
0.20.253.168 I slot print_timing: id  0 | task 62 | prompt eval time =     703.14 ms /    82 tokens
0.01.783.174 I slot print_timing: id  0 | task 2 | prompt eval time =      25.19 ms /     1 tokens
"""  # calls of a real llama-server log (issue 20's pilot, rates cut off), the second's time rounded


def test_the_server_log_gives_prompt_eval_seconds_and_the_time_reuse_saved(tmp_path):
    (tmp_path / "llama_server_0.log").write_text(SERVER_LOG)
    evals = server_prompt_evals(tmp_path)  # generation ("eval time") is not prompt evaluation
    assert [n for _, n in evals] == [650, 82, 1]
    assert [s for s, _ in evals] == pytest.approx([4.29686, 0.70314, 0.02519])
    episode = trace(call(["a"], 650), call(["a", "b"], 922), call(["a", "b", "c"], 923))
    episode.path = tmp_path / "trace.jsonl"
    figures = context_figures(episode, cached_tokens=840 + 922)
    assert figures["prompt_eval_s"] == pytest.approx(5.02519)
    # the one-token call's overhead says nothing of a token's cost: the rate is the two batches'
    assert figures["cache_saved_s"] == pytest.approx((840 + 922) * 5.0 / 732)


def test_without_a_server_log_there_is_no_timing(tmp_path):
    episode = trace(call(["a"], 650))
    episode.path = tmp_path / "trace.jsonl"
    assert server_prompt_evals(tmp_path) is None
    assert context_figures(episode)["prompt_eval_s"] is None
    assert context_figures(episode)["cache_saved_s"] is None
