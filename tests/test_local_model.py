"""The embedded default model, for real: llama.cpp server + Qwen2.5-Coder-0.5B + bubblewrap."""

import subprocess
import sys
from pathlib import Path

import pytest

from ctxbench.llm import ModelConfig, make_backend
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap, server_outlives_killed_holder

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, needs_bwrap]


def test_local_server_answers_with_usage_and_stops(local_model_path, tmp_path):
    llm = make_backend(ModelConfig(reply_tokens=64, temperature=0.0), log_dir=tmp_path)
    try:
        reply = llm.generate([{"role": "user", "content": "Write a python block that prints 6*7."}], seed=0)
    finally:
        llm.close()
    assert "print" in reply.text
    assert reply.usage.prompt_tokens > 10 and 0 < reply.usage.completion_tokens <= 64
    assert reply.latency_s > 0 and reply.cost_usd == 0.0
    assert llm.server.process is None or llm.server.process.poll() is not None  # server stopped


def test_the_local_server_reports_the_prompt_tokens_its_cache_served(local_model_path, tmp_path):
    llm = make_backend(ModelConfig(reply_tokens=16, temperature=0.0), log_dir=tmp_path)
    task = {"role": "user", "content": "List three prime numbers. " + "Answer briefly. " * 40}
    try:
        first = llm.generate([task], seed=0)
        second = llm.generate([task, {"role": "assistant", "content": first.text},
                               {"role": "user", "content": "Two more."}], seed=0)  # fmt: skip
    finally:
        llm.close()
    assert first.usage.cached_tokens is not None and second.usage.cached_tokens is not None
    # the second prompt starts with the first one: the cache served at least that prefix
    assert second.usage.cached_tokens >= first.usage.prompt_tokens - 2
    assert second.usage.cached_tokens < second.usage.prompt_tokens


def test_the_count_of_a_conversation_without_system_message_is_the_servers(local_model_path, tmp_path):
    from ctxbench.llm.tokens import counter_for

    config = ModelConfig(reply_tokens=8, temperature=0.0)
    llm, counter = make_backend(config, log_dir=tmp_path), counter_for(config)
    try:
        for messages in (
            [{"role": "user", "content": "Say hi."}],
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}],
        ):
            assert llm.generate(messages, seed=0).usage.prompt_tokens == counter.count_messages(messages)
    finally:
        llm.close()
    assert counter.implicit_system > 0  # Qwen's template adds "You are Qwen, created by Alibaba Cloud. ..."


def test_a_prompt_over_the_window_is_a_context_overflow(local_model_path, tmp_path):
    from ctxbench.errors import ContextOverflow

    llm = make_backend(ModelConfig(n_ctx=512, reply_tokens=16, temperature=0.0), log_dir=tmp_path)
    try:
        with pytest.raises(ContextOverflow, match="does not fit"):
            llm.generate([{"role": "user", "content": "word " * 800}], seed=0)
    finally:
        llm.close()


def test_cli_runs_a_short_real_episode(local_model_path, tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "run_bench.py"), "--config", str(ROOT / "config.json"),
         "--max-steps", "2", "--out", str(tmp_path / "results")],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "score accuracy=" in run.stdout
    (trace_path,) = (tmp_path / "traces").glob("*.jsonl")
    events = read_trace(trace_path)
    calls = [e for e in events if e["type"] == "llm_call"]
    assert 1 <= len(calls) <= 2
    assert all(c["reply"]["usage"]["prompt_tokens"] > 200 for c in calls)  # system + task prompt
    # the policy's own count (GGUF tokenizer + chat template) is exactly what the server counted
    assert [c["context"]["tokens_after"] for c in calls] == [c["reply"]["usage"]["prompt_tokens"] for c in calls]
    assert all(c["reply"]["model"] for c in calls)
    *_, score, end, telemetry = events  # config.json sends spans to the local Phoenix setup started
    assert end["type"] == "run_end" and end["stop_reason"] in {"max_steps", "final_answer"}
    assert end["totals"]["steps"] == len(calls)
    assert score["type"] == "score"
    assert telemetry["type"] == "telemetry" and telemetry["link"].startswith("http://127.0.0.1:6006/projects/")
    assert f"phoenix {telemetry['link']}" in run.stdout


def test_server_dies_with_a_killed_harness(local_model_path, tmp_path):
    program = (
        "import sys, time\nfrom pathlib import Path\nfrom ctxbench.llm.llama_server import LlamaServer\n"
        "from ctxbench.llm.base import ModelConfig\ns = LlamaServer(ModelConfig(), Path(sys.argv[1])).start()\n"
        "print(s.process.pid, flush=True)\ntime.sleep(120)\n"
    )
    assert not server_outlives_killed_holder(program, str(tmp_path / "log")), (
        "the llama.cpp server outlived its harness"
    )
