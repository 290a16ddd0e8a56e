"""Token counters are the real tokenizers, offline."""

import pytest

from ctxbench.errors import HarnessError
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.tokens import TiktokenCounter, counter_for
from tests.policy_helpers import counter


def test_gguf_counter_is_qwens_tokenizer():
    assert counter().count("hello world") == 2
    assert counter().count("") == 0
    # the reply primer, role, content and ChatML's 4, and Qwen's default system message (21 tokens)
    assert counter().count_messages([{"role": "user", "content": "hi"}]) == 3 + 1 + 1 + 4 + 21
    assert counter().count_messages([{"role": "system", "content": "hi"}]) == 3 + 1 + 1 + 4


def test_tiktoken_counts_offline_with_a_recorded_fallback():
    gpt4 = TiktokenCounter("cl100k_base")
    assert gpt4.count("hello world") == 2
    assert gpt4.name.startswith("tiktoken:cl100k_base")
    assert counter_for(ModelConfig(backend="openai", name="gpt-4o-mini")).name.startswith("tiktoken:")


def test_tokenizer_choice_by_backend_and_explicit():
    assert counter_for(ModelConfig()).name.startswith("gguf:")
    local = ModelConfig(backend="openai", name="m", base_url="http://127.0.0.1:8000/v1")
    assert counter_for(local).name.startswith("gguf:")
    assert counter_for(ModelConfig(tokenizer="tiktoken:cl100k_base")).name.startswith("tiktoken:cl100k_base")
    with pytest.raises(HarnessError, match="unknown tokenizer"):
        counter_for(ModelConfig(tokenizer="sentencepiece"))
