"""How the model calls tools: the text protocol (fenced code, ACTION/FINAL_ANSWER lines) for small
local models, or native tool calls for models that support them. Both parse a reply into Calls."""

from ctxbench.protocols.base import Call, Parsed, Problem, ToolProtocol, protocol_for

__all__ = ["Call", "Parsed", "Problem", "ToolProtocol", "protocol_for"]
