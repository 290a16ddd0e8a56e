"""The OpenAI-compatible backend against a real local HTTP server: usage, cost, retries, failures."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ctxbench.errors import ContextOverflow, HarnessError, LLMUnavailable
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.openai_compat import OpenAICompatLLM, tool_calls_in_text

COMPLETION = {
    "id": "c1", "object": "chat.completion", "created": 0, "model": "fake-model",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hello"}}],
    "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200,
              "prompt_tokens_details": {"cached_tokens": 600}},
}  # fmt: skip


class FakeServer:
    """Fails the first `failures` requests with `status` (and `error`), then answers COMPLETION after
    `delay_s`."""

    def __init__(self, failures: int, status: int = 500, error: dict | None = None, delay_s: float = 0.0) -> None:
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                if len(server.requests) <= failures:
                    payload, code = {"error": error or {"message": "try later"}}, status
                else:
                    time.sleep(delay_s)
                    payload, code = COMPLETION, 200
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def config():
    return ModelConfig(backend="openai", name="fake-model", max_retries=2, timeout_s=5,
                       usd_per_mtok_prompt=2.0, usd_per_mtok_completion=10.0)  # fmt: skip


def test_usage_cost_and_cached_tokens(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    server = FakeServer(failures=0)
    try:
        reply = OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}], seed=3)
    finally:
        server.close()
    assert reply.text == "hello"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.cached_tokens) == (1000, 200, 600)
    assert reply.cost_usd == pytest.approx((1000 * 2.0 + 200 * 10.0) / 1e6)
    body = server.requests[0]["body"]
    assert (body["model"], body["seed"], body["max_tokens"]) == ("fake-model", 3, config.reply_tokens)
    assert server.requests[0]["auth"] == "Bearer sk-from-env"


def test_transient_errors_are_retried_then_succeed(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=2, status=503)
    try:
        reply = OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}])
    finally:
        server.close()
    assert reply.text == "hello"
    assert len(server.requests) == 3
    assert reply.retries == 2


def test_latency_is_the_answering_attempt_without_backoff(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=2, status=503, delay_s=0.3)
    llm = OpenAICompatLLM(config, base_url=server.url)
    started = time.perf_counter()
    try:
        reply = llm.generate([{"role": "user", "content": "hi"}])
        elapsed = time.perf_counter() - started
    finally:
        server.close()
    assert 0.3 <= reply.latency_s < 0.3 + 0.5  # the backoff alone is 0.5 s + 1 s
    assert reply.retry_s >= 1.5
    assert reply.latency_s + reply.retry_s == pytest.approx(elapsed, abs=0.1)


@pytest.mark.parametrize("error", [
    {"message": "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens",
     "type": "invalid_request_error", "code": "context_length_exceeded"},  # OpenAI, llama-cpp-python
    {"message": "the request exceeds the available context size, try increasing it",
     "type": "exceed_context_size_error", "code": 400},  # llama.cpp's llama-server
])  # fmt: skip
def test_context_overflow_has_its_own_error(config, monkeypatch, error):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=10, status=400, error=error)
    try:
        with pytest.raises(ContextOverflow, match="does not fit") as caught:
            OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}])
    finally:
        server.close()
    assert caught.value.stop_reason == "context_overflow"
    assert len(server.requests) == 1  # not retried


def test_other_bad_requests_are_not_overflows(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=10, status=400, error={"message": "bad temperature", "type": "invalid_request_error"})
    try:
        with pytest.raises(LLMUnavailable):
            OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}])
    finally:
        server.close()


def test_retries_are_bounded_and_end_in_a_clear_error(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=10, status=500)
    try:
        with pytest.raises(HarnessError, match="model call to 'fake-model' failed"):
            OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}])
    finally:
        server.close()
    assert len(server.requests) == config.max_retries + 1


def test_client_errors_are_not_retried(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=10, status=400)
    try:
        with pytest.raises(HarnessError):
            OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}])
    finally:
        server.close()
    assert len(server.requests) == 1


def test_missing_api_key_is_a_clear_error(config, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(HarnessError, match="set OPENAI_API_KEY"):
        OpenAICompatLLM(config)


def test_a_calls_own_temperature_is_sampled_at_alone(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    server = FakeServer(failures=0)
    try:
        llm = OpenAICompatLLM(config, base_url=server.url)
        for temperature in (None, 0.9, 0.0):
            llm.generate([{"role": "user", "content": "hi"}], temperature=temperature)
    finally:
        server.close()
    bodies = [r["body"] for r in server.requests]
    assert (bodies[0]["temperature"], "top_p" in bodies[0]) == (config.temperature, False)
    assert (bodies[1]["temperature"], bodies[1]["top_p"]) == (0.9, 1.0)  # no nucleus cut on a retry
    assert (bodies[2]["temperature"], "top_p" in bodies[2]) == (0.0, False)  # greedy: nothing to cut


def test_a_tool_call_written_as_a_json_block_is_read_as_one():
    tools = [{"type": "function", "function": {"name": n}} for n in ("run_python", "final_answer")]
    fenced = '```json\n{\n  "name": "run_python",\n  "arguments": {"code": "print(6 * 7)"}\n}\n```'
    (call,) = tool_calls_in_text(fenced, tools, 3)
    assert (call.id, call.name, json.loads(call.arguments)) == ("call_text_3", "run_python", {"code": "print(6 * 7)"})
    assert len(tool_calls_in_text('{"name": "final_answer", "arguments": {"answer": "x"}}', tools, 0)) == 1
    tagged = '<tools>\n{"name": "run_python", "arguments": {"code": "print(1)"}}\n</tools>'  # the 1.5B's way
    assert [c.name for c in tool_calls_in_text(tagged, tools, 0)] == ["run_python"]
    for text in (
        '```json\n{"name": "fly", "arguments": {}}\n```',  # a tool not offered
        'I will run it: ```json\n{"name": "run_python", "arguments": {"code": "1"}}\n```',  # prose around it
        '{"name": "run_python", "arguments": {"code": "1"}}\nThen I submit.',
        '```json\n{"name": "run_python", "arguments": {"code": "1"}, "extra": 1}\n```',
        '```json\n{"name": "run_python", "arguments": [1]}\n```',
        '```json\n{"name": "run_python", "arguments": {"code": \n```',  # cut off
        '{"name": "run_python", "arguments": {"code": "1"}}\n{"name": "final_answer", "arguments": ',  # cut off
        "```python\nprint(1)\n```",
        "",
    ):
        assert tool_calls_in_text(text, tools, 0) == [], text


def test_several_json_calls_in_one_reply_are_several_calls():
    """Seen with the 0.5B: a run_python call and, below it, a final_answer with a guessed number.
    Read as two calls, the first runs and the second is answered as not run (one tool per reply)."""
    tools = [{"type": "function", "function": {"name": n}} for n in ("run_python", "final_answer")]
    text = ('{"name": "run_python", "arguments": {"code": "print(sum([1, 2]))"}}\n'
            '```json\n{"name": "final_answer", "arguments": {"answer": "180"}}\n```')  # fmt: skip
    calls = tool_calls_in_text(text, tools, 5)
    assert [(c.id, c.name) for c in calls] == [("call_text_5", "run_python"), ("call_text_6", "final_answer")]
    assert json.loads(calls[1].arguments) == {"answer": "180"}


def test_any_compatible_endpoint_reads_a_call_left_in_the_text_only_when_tools_were_offered(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    block = '```json\n{"name": "run_python", "arguments": {"code": "print(1)"}}\n```'
    message = {"role": "assistant", "content": block}
    monkeypatch.setitem(COMPLETION, "choices", [{"index": 0, "finish_reason": "stop", "message": message}])
    tools = [{"type": "function", "function": {"name": "run_python"}}]
    server = FakeServer(failures=0)
    try:
        llm = OpenAICompatLLM(config, base_url=server.url)
        with_tools = llm.generate([{"role": "user", "content": "hi"}], tools=tools)
        without = llm.generate([{"role": "user", "content": "hi"}])
    finally:
        server.close()
    assert [(c.id, c.name) for c in with_tools.tool_calls] == [("call_text_0", "run_python")]
    assert with_tools.text == "" and with_tools.tool_calls_from_text
    assert without.text == block and not without.tool_calls and not without.tool_calls_from_text


def test_tool_call_schema_asks_for_exactly_one_call_of_an_offered_tool(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    from ctxbench.tools import TOOLS

    tools = [TOOLS.get(name).schema() for name in ("run_python", "final_answer")]
    server = FakeServer(failures=0)
    try:
        constrained = OpenAICompatLLM(config.model_copy(update={"tool_call_schema": True}), base_url=server.url)
        constrained.generate([{"role": "user", "content": "hi"}], tools=tools)
        constrained.generate([{"role": "user", "content": "hi"}])  # no tools offered: nothing to constrain
        OpenAICompatLLM(config, base_url=server.url).generate([{"role": "user", "content": "hi"}], tools=tools)
    finally:
        server.close()
    with_schema, no_tools, off = [r["body"] for r in server.requests]
    assert "response_format" not in no_tools and "response_format" not in off
    schema = with_schema["response_format"]["json_schema"]["schema"]
    assert [c["properties"]["name"] for c in schema["oneOf"]] == [{"const": "run_python"}, {"const": "final_answer"}]
    run_python = schema["oneOf"][0]["properties"]["arguments"]
    assert run_python["required"] == ["code"] and run_python["additionalProperties"] is False
