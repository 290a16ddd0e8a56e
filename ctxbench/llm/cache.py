"""A response cache around any backend, keyed by model, endpoint, messages and sampling parameters.
Re-running a sweep cell with the same seed makes no model call; replies carry `from_cache` and the
cost and latency of the call that made them."""

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ctxbench.events import Message
from ctxbench.llm.base import LLMBackend, LLMReply, ModelConfig, ToolCall, Usage
from ctxbench.paths import cache_dir


class CachedLLM:
    def __init__(self, inner: LLMBackend, config: ModelConfig, root: Path | None = None) -> None:
        self.inner, self.config = inner, config
        self.model = inner.model
        self.root = root or config.cache_dir or cache_dir() / "llm_responses"

    def key(
        self, messages: list[Message], seed: int | None, reply_tokens: int | None, tools: Any,
        temperature: float | None = None,
    ) -> str:  # fmt: skip
        c = self.config
        identity = {
            "model": c.name, "backend": c.backend, "base_url": c.base_url,
            "temperature": c.temperature if temperature is None else temperature,
            "max_tokens": reply_tokens or c.reply_tokens, "seed": seed, "tools": tools, "messages": messages,
            "tool_call_schema": c.tool_call_schema,
            # only when set: the keys of replies recorded before the field existed stay as they were
            **({"repeat_penalty": c.repeat_penalty} if c.repeat_penalty != 1.0 else {}),
        }  # fmt: skip
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    def generate(
        self, messages: list[Message], *, seed: int | None = None, reply_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None, temperature: float | None = None,
    ) -> LLMReply:  # fmt: skip
        key = self.key(messages, seed, reply_tokens, tools, temperature)
        path = self.root / key[:2] / f"{key}.json"
        if path.is_file():
            stored = json.loads(path.read_text())
            # The original call's cost and latency, so a cell run after another is not made cheaper
            # by the cache; its retries are not replayed (they were the endpoint's trouble).
            return LLMReply(
                text=stored["text"], finish_reason=stored["finish_reason"], usage=Usage(**stored["usage"]),
                latency_s=stored["latency_s"], cost_usd=stored["cost_usd"], model=stored["model"],
                tool_calls=[ToolCall(**c) for c in stored["tool_calls"]], from_cache=True,
            )  # fmt: skip
        reply = self.inner.generate(
            messages, seed=seed, reply_tokens=reply_tokens, tools=tools, temperature=temperature
        )
        self._store(path, reply)
        return reply

    def _store(self, path: Path, reply: LLMReply) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = asdict(reply)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
            json.dump(record, f)
        os.replace(f.name, path)  # atomic: parallel workers never read half a file

    def close(self) -> None:
        self.inner.close()
