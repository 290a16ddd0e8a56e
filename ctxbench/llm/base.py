"""The LLM-backend protocol and its config. One call in, one reply (with usage and cost) out."""

import ipaddress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ctxbench.events import Message
from ctxbench.llm import catalog
from ctxbench.registry import Registry
from ctxbench.renamed import reject_renamed

DEFAULT_LOCAL_MODEL = catalog.DEFAULT.name


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["llama_cpp", "openai", "scripted"] = Field(
        "llama_cpp",
        description="llama_cpp: the harness starts a local llama.cpp server; openai: any "
        "OpenAI-compatible endpoint (base_url); scripted: replays `scripted_replies` (tests only).",
    )
    name: str = DEFAULT_LOCAL_MODEL
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; None means api.openai.com")
    api_key_env: str = Field("OPENAI_API_KEY", description="Name of the env var (or .env entry) holding the key")
    model_path: Path | None = Field(None, description="GGUF for llama_cpp; None means the fetched default")
    local_server: Literal["llama-server", "llama-cpp-python"] = Field(
        "llama-server",
        description="llama_cpp backend: llama.cpp's own server (built by setup; reports the prompt tokens its "
        "KV cache served, parses tool calls with the model's template) or llama-cpp-python's",
    )
    speculative: Literal["none", "ngram-simple", "ngram-mod"] = Field(
        "ngram-mod",
        description="llama-server's draft-free speculative decoding: drafts from n-grams already in the "
        "context (replies that repeat earlier code), verified by the model itself; no draft model "
        "(measured: the default episode's replies identical, its steps 2.3x faster, +59 MB; bench/llm_speed.py)",
    )
    tool_call_schema: bool = Field(
        False,
        description="When tools are offered, ask the server to constrain the reply to one JSON tool call "
        "{name, arguments} of an offered tool (response_format json_schema; llama.cpp servers turn it into a "
        "grammar), read as that call. For small local models whose calls are JSON text that loses a quote or a "
        "brace. Off: the model's own tool calls, as an API serves them",
    )
    n_ctx: int = Field(8192, ge=512)
    n_threads: int = Field(2, ge=1)
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    direct_temperature: float = Field(
        0.0, ge=0.0, le=2.0,
        description="direct mode's one call: 0 is greedy, the reference; above 0 draws samples (pass@k)",
    )  # fmt: skip
    repeat_penalty: float = Field(
        1.0, ge=1.0, le=2.0,
        description="Local llama.cpp servers: the logit penalty on every token already in the context (1.0: "
        "none; Qwen2.5-Coder's published generation config: 1.05, applied as transformers does, over the whole "
        "context). Against a small model's degenerate loops and copies of its failed replies (bench/repeat_escape.py)",
    )  # fmt: skip
    reply_tokens: int = Field(768, ge=1, description="Completion tokens per call (the reply limit)")
    timeout_s: float = Field(
        180.0,
        gt=0,
        description="Per-attempt timeout for remote endpoints; the embedded server's follows "
        "its measured speed and the reply limit (3x the expected time, at least 30 s)",
    )
    max_retries: int = Field(3, ge=0, description="Retries on transient errors, with exponential backoff")
    usd_per_mtok_prompt: float = Field(0.0, ge=0)
    usd_per_mtok_completion: float = Field(0.0, ge=0)
    cache_read_discount: float = Field(
        0.5, ge=0, le=1,
        description="What a cache-read prompt token costs, as a share of the prompt price (OpenAI 0.5, "
        "Anthropic 0.1): the results' cost_usd_cache_reads, with the client-side estimate of reused tokens",
    )  # fmt: skip
    scripted_replies: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description='Text, {"text": ..., "tool_calls": [{"name", "arguments"}]}, or {"fail": "context_overflow"} '
        "(or llm_error, server_crashed)",
    )
    cache: bool = Field(False, description="Serve identical requests from the response cache")
    cache_dir: Path | None = Field(None, description="None: ~/.cache/ctxbench/llm_responses")
    tokenizer: str = Field(
        "auto",
        description="For context budgets: auto (the GGUF for local/compatible servers and the scripted "
        "backend, tiktoken for OpenAI), gguf:PATH, or tiktoken:ENCODING",
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        return reject_renamed(data, {"max_tokens": "reply_tokens"})

    @model_validator(mode="after")
    def _embedded_name(self) -> "ModelConfig":
        """An embedded model is named by its catalog name (an alias such as qwen2.5-coder-1.5b
        becomes it), so results tables show one name per model."""
        if self.backend == "llama_cpp" and self.model_path is None:
            self.name = catalog.embedded(self.name).name
        return self

    def gguf_path(self) -> Path:
        """The GGUF this config runs (llama_cpp) or counts tokens with (scripted, local servers):
        model_path, else the embedded model of that name, else the default's (same tokenizer family)."""
        if self.model_path is not None:
            return self.model_path
        found = catalog.find_embedded(self.name)
        return (found or catalog.DEFAULT).path


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None  # None: the server did not report it

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (may be malformed)

    def to_message_part(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class LLMReply:
    """latency_s: the attempt that answered, from request to reply."""

    text: str
    finish_reason: str
    usage: Usage
    latency_s: float
    cost_usd: float
    model: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    from_cache: bool = False  # served by the response cache: latency and cost are the original call's
    retries: int = 0  # failed attempts before this reply
    retry_s: float = 0.0  # time those attempts and the backoff took (not in latency_s)
    tool_calls_from_text: bool = False  # the backend read the call from the reply's text (see openai_compat)

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["usage"]["total_tokens"] = self.usage.total_tokens
        return record


class LLMBackend(Protocol):
    model: str
    config: ModelConfig

    def generate(
        self, messages: list[Message], *, seed: int | None = None, reply_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None, temperature: float | None = None,
    ) -> LLMReply:  # fmt: skip
        """reply_tokens: completion limit of this call (None: the configured one); tools: OpenAI-style
        function schemas for the native tool protocol; temperature: this call's (None: the configured one)."""
        ...

    def close(self) -> None: ...


def is_local_url(url: str | None) -> bool:
    """An endpoint on this machine (the embedded server, or a user's own): no API key needed, and
    the text protocol and the GGUF tokenizer by default."""
    host = urlparse(url).hostname if url else None
    if host is None:
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost
        return False


def cost_usd(config: ModelConfig, usage: Usage) -> float:
    return (
        usage.prompt_tokens * config.usd_per_mtok_prompt + usage.completion_tokens * config.usd_per_mtok_completion
    ) / 1e6


BACKENDS: Registry[Any] = Registry("model backend")
