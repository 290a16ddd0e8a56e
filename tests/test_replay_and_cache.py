"""Replay of a recorded episode under other policies (no LLM call), and the LLM response cache."""

from pathlib import Path

import pytest

from context_policies.full_history import FullHistoryConfig
from context_policies.observation_masking import ObservationMaskingConfig
from context_policies.sliding_window import SlidingWindowConfig
from context_policies.summarization import SummarizationConfig
from ctxbench.errors import HarnessError
from ctxbench.replay import replay, totals
from ctxbench.runner import run_episode
from ctxbench.tracing.reader import load_episode
from tests.conftest import needs_bwrap
from tests.policy_helpers import counter
from tests.test_episode_scripted import code, make_config

pytestmark = needs_bwrap
REPLIES = [code("print('x' * 400)"), code("print('y' * 400)"), code("print('z' * 400)"), code("print(1)")]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("replay")
    return run_episode(make_config(tmp_path, REPLIES, budget={"max_steps": 4})).trace_path


def test_replay_under_the_same_policy_reproduces_the_recorded_tokens(recorded):
    rows = replay(recorded, FullHistoryConfig(), counter())
    assert [r["replayed_tokens"] for r in rows] == [r["original_tokens"] for r in rows]
    assert len(rows) == 4


def test_replay_under_masking_sends_fewer_tokens(recorded):
    rows = replay(recorded, ObservationMaskingConfig(keep_last=1), counter())
    original, replayed = totals(rows)
    assert replayed < original
    assert rows[0]["replayed_tokens"] == rows[0]["original_tokens"]  # nothing to mask yet
    assert all(r["replayed_tokens"] <= r["original_tokens"] for r in rows)


def test_replay_refuses_what_needs_an_llm(recorded):
    with pytest.raises(HarnessError, match="needs an LLM summarizer"):
        replay(recorded, SummarizationConfig(trigger_tokens=1), counter())


def test_response_cache_serves_a_repeated_episode_without_model_calls(tmp_path):
    model = {"backend": "scripted", "scripted_replies": REPLIES[:2], "cache": True, "cache_dir": str(tmp_path / "c"),
             "usd_per_mtok_prompt": 3.0}  # fmt: skip
    first = run_episode(make_config(tmp_path / "a", [], model=model, budget={"max_steps": 2}))
    empty = {**model, "scripted_replies": []}  # any real call would fail: it has no replies left
    second = run_episode(make_config(tmp_path / "b", [], model=empty, budget={"max_steps": 2}))
    assert second.stop_reason == first.stop_reason == "max_steps"
    calls = [load_episode(r.trace_path).llm_calls for r in (first, second)]
    assert [c["reply"]["from_cache"] for c in calls[0]] == [False, False]
    assert [c["reply"]["from_cache"] for c in calls[1]] == [True, True]
    assert [c["reply"]["text"] for c in calls[1]] == [c["reply"]["text"] for c in calls[0]]
    # the original cost and latency, so whichever cell runs second is not made cheaper; counted apart
    assert [c["reply"]["latency_s"] for c in calls[1]] == [c["reply"]["latency_s"] for c in calls[0]]
    t1, t2 = first.totals, second.totals
    assert t2.cost_usd == t1.cost_usd > 0 and t2.llm_latency_s == t1.llm_latency_s > 0
    assert (t1.response_cache_hits, t2.response_cache_hits) == (0, 2)
    assert t2.replayed_latency_s == t2.llm_latency_s


def test_replay_at_sweep_scale_gives_each_trajectory_under_each_policy(tmp_path):
    """Replaying full_history reproduces the live run's tokens and prefix-cache estimate exactly;
    a window sends less; every trajectory of the experiment is there once per policy."""
    import shutil

    from ctxbench.replay import replay_experiment

    golden = Path(__file__).resolve().parent / "golden/replay_trace.jsonl"
    for repeat in range(2):
        folder = tmp_path / "exp/pbmc_annotation/full_history__agentic__m" / str(repeat)
        folder.mkdir(parents=True)
        shutil.copy(golden, folder / "trace.jsonl")
    policies = {"full_history": FullHistoryConfig(), "window": SlidingWindowConfig(turns=1)}
    table = replay_experiment(tmp_path / "exp", policies, lambda trace: counter())
    assert sorted(r["replayed_policy"] for r in table) == ["full_history", "full_history", "window", "window"]
    for row in table:
        if row["replayed_policy"] == "full_history":
            assert row["replayed_tokens"] == row["original_tokens"]
            assert abs(row["replayed_reused_tokens"] - row["original_reused_tokens"]) <= row["steps"]  # rounding
        else:
            assert row["replayed_tokens"] < row["original_tokens"]
