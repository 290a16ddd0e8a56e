"""How the model calls tools: the text protocol (fenced code, ACTION/FINAL_ANSWER lines) for small
local models, or native tool calls for models that support them. Both parse a reply into Calls."""

from ctxbench.llm.base import ModelConfig, is_local_url
from ctxbench.protocols.base import Call, Parsed, Problem, ProtocolName, ToolProtocol
from ctxbench.protocols.native import NativeProtocol
from ctxbench.protocols.text import TextProtocol


def protocol_for(name: ProtocolName, model: ModelConfig, join_blocks: bool = False) -> ToolProtocol:
    """`auto`: native tool calls for OpenAI-compatible remote models, the text protocol for the local
    llama.cpp model and the scripted backend (small models are far more reliable with text).
    join_blocks (the text protocol): a reply's python blocks run as one cell, in order."""
    if name == "auto":
        name = "native" if model.backend == "openai" and not is_local_url(model.base_url) else "text"
    return NativeProtocol() if name == "native" else TextProtocol(join_blocks=join_blocks)


__all__ = ["Call", "Parsed", "Problem", "ToolProtocol", "protocol_for"]
