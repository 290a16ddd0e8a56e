"""LLM backends by name. Importing a backend module registers it."""

from pathlib import Path

from ctxbench.llm import llama_server, openai_compat, scripted  # noqa: F401  (registration)
from ctxbench.llm.base import BACKENDS, LLMBackend, LLMReply, ModelConfig, Usage
from ctxbench.llm.cache import CachedLLM


def make_backend(config: ModelConfig, *, log_dir: Path) -> LLMBackend:
    cls = BACKENDS.get(config.backend)
    if config.backend == "llama_cpp":
        backend: LLMBackend = cls(config, log_path=log_dir / "llama_server.log")
    else:
        backend = cls(config)
    return CachedLLM(backend, config) if config.cache else backend


__all__ = ["BACKENDS", "LLMBackend", "LLMReply", "ModelConfig", "Usage", "make_backend"]
