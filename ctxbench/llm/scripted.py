"""A test double that replays given replies in order. Never the default: tests of the loop only."""

import time

from ctxbench.errors import HarnessError
from ctxbench.events import Message
from ctxbench.llm.base import BACKENDS, LLMReply, ModelConfig, Usage


@BACKENDS.register("scripted")
class ScriptedLLM:
    def __init__(self, config: ModelConfig) -> None:
        self.model = f"scripted:{config.name}"
        self._replies = list(config.scripted_replies)
        self.calls: list[list[Message]] = []

    def generate(self, messages: list[Message], *, seed: int | None = None, max_tokens: int | None = None) -> LLMReply:
        if len(self.calls) >= len(self._replies):
            raise HarnessError(f"scripted backend ran out of replies after {len(self._replies)} calls")
        started = time.perf_counter()
        self.calls.append([dict(m) for m in messages])
        text = self._replies[len(self.calls) - 1]
        # Word counts stand in for tokens: this backend only tests the loop's logic.
        usage = Usage(sum(len(m["content"].split()) for m in messages), len(text.split()), None)
        return LLMReply(text, "stop", usage, time.perf_counter() - started, 0.0, self.model)

    def close(self) -> None:
        pass
