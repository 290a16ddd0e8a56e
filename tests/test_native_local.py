"""The native tool protocol (OpenAI tool calls) against a real server, the embedded llama-server.
Until now the protocol had only met a fake HTTP server; researchers with an API key run this path.

llama-server parses `<tool_call>{...}</tool_call>` with the GGUF's chat template, but both embedded
Qwen2.5-Coder models write a call as a ```json block instead (the 1.5B sometimes inside `<tools>`);
`tool_choice: required` does not force the tags (the 0.5B then pads with newlines to the reply
limit). The backend (any OpenAI-compatible one) reads a reply that is exactly such a call as the call. What this test
holds: calls read on the real server are run, answered by `tool` messages carrying their ids, and
the server takes the conversation back in that shape. What it cannot hold yet: the 0.5B's first
call is rarely valid JSON (its code strings lose a brace or run to the reply limit), so whether
the model's next reply uses a run_python result is not asserted here.
"""

import itertools

import pytest

from ctxbench.config import validate_config
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap

pytestmark = [pytest.mark.slow, needs_bwrap]


def test_tool_calls_on_the_local_server_are_run_and_answered_by_id(local_model_path, tmp_path):
    config = validate_config(
        {
            "task": {"name": "ml_toy"},
            "model": {"backend": "llama_cpp", "temperature": 0.0},
            "tool_protocol": "native",
            "budget": {"max_steps": 3},
            "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": False}},
            "out": str(tmp_path / "results"),
        },
        "test",
    )
    result = run_episode(config)
    assert result.stop_reason in {"max_steps", "final_answer"}  # the server took every message back
    calls = [e for e in read_trace(result.trace_path) if e["type"] == "llm_call"]
    answered = 0
    for call, after in itertools.pairwise(calls):
        for tool_call in call["reply"]["tool_calls"]:
            assert call["reply"]["text"] == ""  # a call, not text (read by the server or from the text)
            offered = [m for m in after["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
            assert offered[-1]["tool_calls"][0]["id"] == tool_call["id"]  # the call, in the template's shape
            (answer,) = [m for m in after["messages"] if m.get("tool_call_id") == tool_call["id"]]
            assert answer["role"] == "tool" and answer["content"]
            answered += 1
    assert answered >= 1
