"""A test double that replays given replies in order. Never the default: tests of the loop only.
A reply {"fail": "<stop reason>"} raises the failure that reason stands for (context_overflow,
llm_error, server_crashed), so tests can see how each is recorded. A reply {"text": ..., "recall":
{"NAME": "regex"}} fills `{NAME}` in its text with the regex's first group, searched in the messages
it was shown (newest first; `?` when absent): a stand-in that knows only what its context shows."""

import json
import re
import time
from typing import Any

from ctxbench.errors import ContextOverflow, HarnessError, LLMUnavailable, ServerCrashed
from ctxbench.events import Message
from ctxbench.llm.base import BACKENDS, LLMReply, ModelConfig, ToolCall, Usage, cost_usd

FAILURES: dict[str, type[HarnessError]] = {
    cls.stop_reason: cls for cls in (ContextOverflow, LLMUnavailable, ServerCrashed)
}


@BACKENDS.register("scripted")
class ScriptedLLM:
    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.model = f"scripted:{config.name}"
        self._replies = list(config.scripted_replies)
        self.calls: list[list[Message]] = []
        self.tools_offered: list[list[dict[str, Any]] | None] = []

    def generate(
        self, messages: list[Message], *, seed: int | None = None, reply_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None, temperature: float | None = None,
    ) -> LLMReply:  # fmt: skip
        if len(self.calls) >= len(self._replies):
            raise HarnessError(f"scripted backend ran out of replies after {len(self._replies)} calls")
        started = time.perf_counter()
        self.calls.append([dict(m) for m in messages])
        self.tools_offered.append(tools)
        scripted = self._replies[len(self.calls) - 1]
        reply: dict[str, Any] = scripted if isinstance(scripted, dict) else {"text": scripted}
        if "fail" in reply:
            raise FAILURES[reply["fail"]](f"scripted failure: {reply['fail']}")
        text = recalled(reply.get("text", ""), reply.get("recall", {}), messages)
        calls = [
            ToolCall(f"call_{len(self.calls)}_{i}", c["name"], c["arguments"] if isinstance(c["arguments"], str)
                     else json.dumps(c["arguments"]))
            for i, c in enumerate(reply.get("tool_calls", []))
        ]  # fmt: skip
        # Word counts stand in for tokens: this backend only tests the loop's logic.
        usage = Usage(sum(len(str(m["content"]).split()) for m in messages), len(text.split()), None)
        finish = reply.get("finish_reason", "tool_calls" if calls else "stop")
        cost = cost_usd(self.config, usage)
        return LLMReply(text, finish, usage, time.perf_counter() - started, cost, self.model, calls)

    def close(self) -> None:
        pass


def recalled(text: str, recall: dict[str, str], messages: list[Message]) -> str:
    """The text with each `{NAME}` replaced by what its pattern finds in the context, or `?`."""
    shown = [str(m.get("content") or "") for m in reversed(messages)]
    for name, pattern in recall.items():
        found = next((match.group(1) for content in shown if (match := re.search(pattern, content))), "?")
        text = text.replace("{" + name + "}", found)
    return text
