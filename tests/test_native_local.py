"""The native tool protocol (OpenAI tool calls) against a real server, the embedded llama-server.
Until now the protocol had only met a fake HTTP server; researchers with an API key run this path.

llama-server parses `<tool_call>{...}</tool_call>` with the GGUF's chat template, but both embedded
Qwen2.5-Coder models write a call as a ```json block instead (the 1.5B inside `<tools>`);
`tool_choice: required` does not force the tags (the 0.5B then pads its reply to the limit). The
backend (any OpenAI-compatible one) reads a reply made only of such calls as the calls. Left to
itself the 0.5B's JSON often loses a quote; `tool_call_schema` has the server constrain the reply
to one valid call (a grammar from the tools' schemas).
"""

import itertools

import pytest

from ctxbench.config import validate_config
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap

pytestmark = [pytest.mark.slow, needs_bwrap]


def local_config(tmp_path, **overrides):
    return validate_config(
        {
            "model": {"backend": "llama_cpp", "temperature": 0.0},
            "tool_protocol": "native",
            "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": False}},
            "out": str(tmp_path / "results"),
            **overrides,
        },
        "test",
    )


def test_tool_calls_on_the_local_server_are_run_and_answered_by_id(local_model_path, tmp_path):
    """The model's own calls, unconstrained, on a real task."""
    result = run_episode(local_config(tmp_path, task={"name": "ml_toy"}, budget={"max_steps": 3}))
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


def test_the_model_calls_run_python_and_its_next_reply_uses_the_result(local_model_path, tmp_path):
    """smoke_sum: the sum of 40 random integers is nowhere in the prompt; the model can only submit
    it by reading the output of the code it ran. (Measured: 8 of 8 data seeds with the 0.5B, 2 of 2
    with the 1.5B; without the prompt's first line or with every tool offered the 0.5B calls
    run_python again and again after it printed the sum.)"""
    config = local_config(
        tmp_path,
        task={"name": "smoke_sum"},
        model={"backend": "llama_cpp", "temperature": 0.0, "tool_call_schema": True},
        tools=["run_python", "final_answer"],
        prompt_prefix="Call run_python with code that prints the sum, then call final_answer with the printed number.",
        budget={"max_steps": 4},
    )
    result = run_episode(config)
    events = read_trace(result.trace_path)
    (ran,) = [e for e in events if e["type"] == "exec"]
    printed = ran["stdout"].strip()
    assert ran["outcome"] == "ok" and printed.isdigit()
    first, second = [e for e in events if e["type"] == "llm_call"]
    (run_python,) = first["reply"]["tool_calls"]
    assert run_python["name"] == "run_python"
    (answer,) = [m for m in second["messages"] if m.get("tool_call_id") == run_python["id"]]
    assert answer == {"role": "tool", "tool_call_id": run_python["id"], "content": f"Output of your code:\n{printed}"}
    (submitted,) = second["reply"]["tool_calls"]
    assert (submitted["name"], submitted["arguments"]) == ("final_answer", f'{{"answer": "{printed}"}}')
    assert printed not in "\n".join(m["content"] or "" for m in first["messages"])  # not known before
    assert result.stop_reason == "final_answer" and result.score.passed
