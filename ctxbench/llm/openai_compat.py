"""Any OpenAI-compatible chat endpoint (OpenAI itself, a local llama.cpp server, vLLM, ...)."""

import json
import os
import re
import time
from typing import Any

import openai
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ctxbench.errors import ContextOverflow, HarnessError, LLMUnavailable
from ctxbench.events import Message
from ctxbench.llm.base import BACKENDS, LLMReply, ModelConfig, ToolCall, Usage, cost_usd, is_local_url

TRANSIENT_ERRORS = (
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
)


@BACKENDS.register("openai")
class OpenAICompatLLM:
    def __init__(self, config: ModelConfig, *, base_url: str | None = None, api_key: str | None = None) -> None:
        self.config = config
        self.model = config.name
        self.text_calls = 0
        local = is_local_url(base_url or config.base_url)
        key = api_key or os.environ.get(config.api_key_env) or ("local" if local else None)
        if not key:
            raise HarnessError(
                f"no API key: set {config.api_key_env} in the environment or .env "
                "(or point --base-url at a local OpenAI-compatible server)"
            )
        # Retries are ours (tenacity) so that each attempt is bounded and visible.
        self._client = openai.OpenAI(
            base_url=base_url or config.base_url, api_key=key, timeout=config.timeout_s, max_retries=0
        )

    def generate(
        self, messages: list[Message], *, seed: int | None = None, reply_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None, temperature: float | None = None,
    ) -> LLMReply:  # fmt: skip
        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            stop=stop_after_attempt(self.config.max_retries + 1),
            wait=wait_exponential(multiplier=0.5, max=20),
            reraise=True,
        )
        attempts: list[float] = []  # each attempt's duration: the last one answered

        def attempt() -> Any:
            started = time.perf_counter()
            try:
                return self._create(messages, seed, reply_tokens or self.config.reply_tokens, tools, temperature)
            finally:
                attempts.append(time.perf_counter() - started)

        started = time.perf_counter()
        try:
            response = retrying(attempt)
        except openai.APIError as exc:
            if isinstance(exc, openai.BadRequestError) and _is_context_overflow(exc):
                raise ContextOverflow(f"the context does not fit {self.model!r}: {exc.message}") from exc
            raise LLMUnavailable(f"model call to {self.model!r} failed: {type(exc).__name__}: {exc}") from exc
        latency, retry_s = attempts[-1], time.perf_counter() - started - attempts[-1]
        choice = response.choices[0]
        usage = _usage_of(response)
        reply = LLMReply(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason or "unknown",
            usage=usage,
            latency_s=latency,
            retries=len(attempts) - 1,
            retry_s=retry_s,
            cost_usd=cost_usd(self.config, usage),
            model=response.model or self.model,
            tool_calls=[
                ToolCall(c.id, c.function.name, c.function.arguments or "")
                for c in (choice.message.tool_calls or [])
                if getattr(c, "function", None) is not None
            ],
        )
        if tools and not reply.tool_calls and (calls := tool_calls_in_text(reply.text, tools, self.text_calls)):
            reply.tool_calls, reply.text, reply.tool_calls_from_text = calls, "", True
            self.text_calls += len(calls)  # numbers their ids
        return reply

    def timeout_for(self, messages: list[Message], reply_tokens: int) -> float:
        """Seconds one attempt may take."""
        return self.config.timeout_s

    def sampling(self, temperature: float | None) -> dict[str, Any]:
        """A call's own temperature (a retry's) is sampled at alone: truncations such as top_p would
        otherwise keep a model that copies its context deterministic at any temperature."""
        if temperature is None:
            return {"temperature": self.config.temperature}
        return {"temperature": temperature, **({"top_p": 1.0} if temperature > 0 else {})}

    def _create(self, messages, seed, reply_tokens, tools, temperature):  # type: ignore[no-untyped-def]
        extra: dict[str, Any] = {"tools": tools} if tools else {}
        if tools and self.config.tool_call_schema:
            extra["response_format"] = tool_call_format(tools)
        return self._client.chat.completions.create(
            model=self.model,
            messages=messages,
            **self.sampling(temperature),
            max_tokens=reply_tokens,
            seed=seed,
            timeout=self.timeout_for(messages, reply_tokens),
            **extra,
        )

    def close(self) -> None:
        self._client.close()


def tool_call_format(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A response_format whose schema admits exactly one call `{"name", "arguments"}` of an offered
    tool, its arguments by that tool's own schema: the reply cannot lose a quote or a brace."""
    calls = [
        {
            "type": "object",
            "properties": {"name": {"const": t["function"]["name"]}, "arguments": t["function"]["parameters"]},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    return {"type": "json_schema", "json_schema": {"name": "tool_call", "schema": {"oneOf": calls}}}


# Wrappers seen around such calls: fences, and the 1.5B's `<tools>` (the tag its template lists tools in)
WRAPPER_LINE = re.compile(r"^[ \t]*(?:```(?:json)?|</?tools>|</?tool_call>)[ \t]*$", re.MULTILINE)


def tool_calls_in_text(text: str, tools: list[dict[str, Any]], number: int) -> list[ToolCall]:
    """A reply made only of JSON objects `{"name": <an offered tool>, "arguments": {...}}`, fenced,
    tagged or bare: how both embedded Qwen2.5-Coder models write tool calls (llama-server parses the
    `<tool_call>` tags their chat template asks for, which they do not write). Several objects are
    several calls, as several tagged calls would be. Read here, for every compatible endpoint, so
    the same model behind another URL is read the same way; anything else in the text, and nothing
    is read."""
    offered = {t.get("function", {}).get("name") for t in tools}
    decoder = json.JSONDecoder(strict=False)  # a raw line break inside the code string is common
    rest, calls = WRAPPER_LINE.sub("", text).strip(), list[ToolCall]()
    while rest:
        try:
            call, end = decoder.raw_decode(rest)
        except ValueError:
            return []
        if not isinstance(call, dict) or set(call) != {"name", "arguments"} or call["name"] not in offered:
            return []
        arguments = call["arguments"]
        if not isinstance(arguments, (dict, str)):
            return []
        text_arguments = arguments if isinstance(arguments, str) else json.dumps(arguments)
        calls.append(ToolCall(f"call_text_{number + len(calls)}", call["name"], text_arguments))
        rest = rest[end:].lstrip()
    return calls


CONTEXT_OVERFLOW_CODES = {"context_length_exceeded", "exceed_context_size_error"}  # OpenAI, llama.cpp servers
CONTEXT_OVERFLOW_TEXT = re.compile(r"context (length|window|size)|maximum context", re.IGNORECASE)


def _is_context_overflow(exc: openai.BadRequestError) -> bool:
    return bool({exc.code, exc.type} & CONTEXT_OVERFLOW_CODES) or bool(CONTEXT_OVERFLOW_TEXT.search(exc.message))


def _usage_of(response) -> Usage:  # type: ignore[no-untyped-def]
    if response.usage is None:
        return Usage()
    details = getattr(response.usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(response.usage.prompt_tokens, response.usage.completion_tokens, cached)
