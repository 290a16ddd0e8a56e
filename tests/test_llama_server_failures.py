"""How the harness treats its embedded llama.cpp server when it crashes or stalls, against a stand-in
server process (tests/fake_llama_server.py): a crash is reported as one, with its signal and log, and
ends the episode unscored; a stalled request restarts the server instead of queueing a retry."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from ctxbench.errors import HarnessError, LLMUnavailable, ServerCrashed
from ctxbench.llm import llama_server
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.llama_server import LlamaServer, LocalLlamaLLM, Speed
from ctxbench.results import load_rows, summarize
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap, server_outlives_killed_holder
from tests.test_episode_scripted import make_config

FAKE = Path(__file__).with_name("fake_llama_server.py")
MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def fake_server(monkeypatch, tmp_path):
    """Every LlamaServer started in the test runs the stand-in with the given behaviour."""
    started: list[LlamaServer] = []
    requests = tmp_path / "requests.log"
    monkeypatch.setenv("FAKE_LLAMA_REQUESTS", str(requests))
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")

    def use(behaviour: str) -> ModelConfig:
        def command(self: LlamaServer) -> list[str]:
            started.append(self)
            return [sys.executable, str(FAKE), "--port", str(self.port), "--behaviour", behaviour]

        monkeypatch.setattr(LlamaServer, "command", command)
        return ModelConfig(model_path=model, max_retries=1, reply_tokens=64)

    use.started = started  # type: ignore[attr-defined]
    use.requests = requests  # type: ignore[attr-defined]
    return use


def test_a_crash_mid_request_is_reported_with_its_signal_and_log(fake_server, tmp_path):
    llm = LocalLlamaLLM(fake_server("crash_after:2"), log_path=tmp_path / "server.log")  # the probe takes 2
    try:
        with pytest.raises(ServerCrashed) as crash:
            llm.generate(MESSAGES)
    finally:
        llm.close()
    message = str(crash.value)
    assert message.startswith("llama.cpp server crashed (signal 11 SIGSEGV)")
    assert "fake server: crash_after on completion 3" in message  # the log's last lines
    assert "Connection error" not in message
    assert crash.value.stop_reason == "server_crashed"
    assert len(fake_server.requests.read_text().splitlines()) == 3  # a crash is not retried


def test_a_build_that_crashes_on_the_first_token_fails_at_start(fake_server, tmp_path):
    with pytest.raises(ServerCrashed, match=r"signal 11 SIGSEGV"):
        LocalLlamaLLM(fake_server("crash_after:0"), log_path=tmp_path / "server.log")


def test_a_stalled_request_restarts_the_server_before_the_retry(fake_server, tmp_path, monkeypatch):
    monkeypatch.setattr(llama_server, "MIN_TIMEOUT_S", 1.0)
    llm = LocalLlamaLLM(fake_server("hang_after:2"), log_path=tmp_path / "server.log")
    try:
        with pytest.raises(LLMUnavailable, match="APITimeoutError"):
            llm.generate(MESSAGES)
    finally:
        llm.close()
    assert len(fake_server.started) == 3  # the first start, and a restart after each of the 2 timeouts
    lines = [line.split() for line in fake_server.requests.read_text().splitlines()]
    # each server process took its 2 probe requests; the first two also one stalled request each,
    # and the retry went to a fresh process, never queued behind the abandoned one
    pids = [int(pid) for pid, _ in lines]
    first, second, third = dict.fromkeys(pids)
    assert pids == [first] * 3 + [second] * 3 + [third] * 2
    for pid in (first, second, third):  # none is left computing an abandoned reply
        assert not Path(f"/proc/{pid}").exists()


def test_sweep_workers_share_one_server_and_one_restart(fake_server, tmp_path, monkeypatch):
    monkeypatch.setattr(llama_server, "MIN_TIMEOUT_S", 1.0)
    config = fake_server("hang_after:2")
    with llama_server.shared_server(config, tmp_path / "shared.log") as server:
        first, second = (LocalLlamaLLM(config, log_path=tmp_path / "unused.log") for _ in range(2))
        assert first.server is server and second.server is server and len(fake_server.started) == 1
        started_as = server.starts
        server.restart_after_timeout(started_as)
        server.restart_after_timeout(started_as)  # a second worker's timeout of the same request
        assert len(fake_server.started) == 2
        first.close()
        assert server.alive()  # a worker's backend never stops the shared server
        second.close()
    assert not server.alive()


def test_the_timeout_follows_the_reply_limit_and_the_measured_speed(fake_server, tmp_path):
    llm = LocalLlamaLLM(fake_server("crash_after:99"), log_path=tmp_path / "server.log")
    try:
        llm.server.speed = Speed(prompt_tps=100.0, generation_tps=10.0)
        short, long = llm.timeout_for(MESSAGES, 64), llm.timeout_for(MESSAGES, 768)
        big_prompt = llm.timeout_for([{"role": "user", "content": "x" * 30_000}], 64)
        llm.server.speed = Speed(prompt_tps=100.0, generation_tps=1.0)  # a machine twelve times slower
        slow = llm.timeout_for(MESSAGES, 768)
    finally:
        llm.close()
    assert short == llama_server.MIN_TIMEOUT_S
    assert long == pytest.approx(3 * (768 / 10 + 5 / 3 / 100), rel=0.01)
    assert big_prompt == pytest.approx(3 * (10_000 / 100 + 64 / 10), rel=0.01)
    assert slow > 2000


@needs_bwrap
def test_an_episode_whose_server_crashed_is_not_scored(fake_server, tmp_path):
    model = fake_server("crash_after:2").model_dump(mode="json")
    model |= {"backend": "llama_cpp", "tokenizer": "tiktoken:cl100k_base"}  # the stand-in has no GGUF
    result = run_episode(make_config(tmp_path, [], model=model))
    assert result.stop_reason == "server_crashed" and result.score is None
    assert "signal 11 SIGSEGV" in (result.error or "")
    end = read_trace(result.trace_path)[-1]
    assert end["type"] == "run_end" and end["scored"] is False
    # a sweep's table counts it apart instead of averaging in a 0
    folder = tmp_path / "experiment" / "task" / "cell" / "0"
    folder.mkdir(parents=True)
    cell = {"task": "t", "policy": "p", "reasoning_mode": "agentic", "model": "m", "repeat": 0, "seed": 0}
    (folder / "result.json").write_text(json.dumps({**result.to_record(), **cell}))
    shutil.copy(result.trace_path, folder / "trace.jsonl")
    (row,) = summarize(load_rows(tmp_path / "experiment"))
    assert (row["n"], row["harness_failures"]) == (0, 1)
    assert row["score"] is None  # nothing to average, and no 0 averaged in
    assert row["stop_reasons"] == "!server_crashed:1"


def test_a_server_deaf_to_sigterm_still_dies_with_a_killed_harness(tmp_path):
    program = (
        "import sys, time\nfrom pathlib import Path\nfrom ctxbench.llm.base import ModelConfig\n"
        "from ctxbench.llm.llama_server import LlamaServer\n"
        f"LlamaServer.command = lambda self: [sys.executable, {str(FAKE)!r}, '--port', str(self.port), "
        "'--behaviour', 'hang_after:99', '--ignore-sigterm']\n"
        "model = Path(sys.argv[1]) / 'model.gguf'\nmodel.write_bytes(b'GGUF')\n"
        "s = LlamaServer(ModelConfig(model_path=model), Path(sys.argv[1]) / 'log').start()\n"
        "print(s.process.pid, flush=True)\ntime.sleep(120)\n"
    )
    # only the kernel's parent-death signal reaches the server
    assert not server_outlives_killed_holder(program, str(tmp_path)), (
        "a server that ignores SIGTERM outlived its harness"
    )


def test_llama_server_is_started_with_one_slot_tool_parsing_and_the_chosen_drafting(tmp_path, monkeypatch):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("CTXBENCH_LLAMA_SERVER", str(binary))
    plain = LlamaServer(ModelConfig(model_path=model, n_ctx=4096, speculative="none"), tmp_path / "log").command()
    assert plain[0] == str(binary) and "--jinja" in plain and "--spec-type" not in plain
    assert plain[plain.index("--parallel") + 1] == "1" and plain[plain.index("--ctx-size") + 1] == "4096"
    drafted = LlamaServer(ModelConfig(model_path=model), tmp_path / "log").command()  # the default drafts
    assert drafted[drafted.index("--spec-type") + 1] == "ngram-mod"
    python = LlamaServer(ModelConfig(model_path=model, local_server="llama-cpp-python"), tmp_path / "log").command()
    assert python[1:3] == ["-m", "llama_cpp.server"]


def test_a_missing_llama_server_says_how_to_get_it(tmp_path, monkeypatch):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("CTXBENCH_LLAMA_SERVER", str(tmp_path / "nowhere"))
    monkeypatch.setattr(llama_server.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HarnessError, match=r"llama-server not found: run `bash scripts/setup.sh`"):
        LlamaServer(ModelConfig(model_path=model), tmp_path / "log").command()


def test_the_repeat_penalty_is_always_sent_and_over_the_whole_context_when_set(fake_server, tmp_path, monkeypatch):
    bodies = tmp_path / "bodies.jsonl"
    monkeypatch.setenv("FAKE_LLAMA_BODIES", str(bodies))
    config = fake_server("crash_after:99")
    for penalty in (1.0, 1.05):
        llm = LocalLlamaLLM(config.model_copy(update={"repeat_penalty": penalty}), log_path=tmp_path / "server.log")
        try:
            llm.generate(MESSAGES, seed=0)
            llm.generate(MESSAGES, seed=0, temperature=0.9)  # a retry's own temperature keeps the penalty
        finally:
            llm.close()
    asked = [body for body in map(json.loads, bodies.read_text().splitlines()) if "seed" in body]  # not probes
    plain, plain_retry, penalized, penalized_retry = asked
    assert plain["repeat_penalty"] == plain_retry["repeat_penalty"] == 1.0  # said: llama-cpp-python's is 1.1
    assert "repeat_last_n" not in plain and "repeat_last_n" not in plain_retry
    assert plain_retry["top_k"] == 0 and plain_retry["min_p"] == 0.0
    for body in (penalized, penalized_retry):
        assert body["repeat_penalty"] == 1.05 and body["repeat_last_n"] == config.n_ctx
    assert penalized_retry["top_k"] == 0 and penalized_retry["temperature"] == 0.9
