"""What a tool protocol turns a reply into: calls to run, or problems to tell the model about."""

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ctxbench.llm.base import LLMReply

ProtocolName = Literal["auto", "text", "native"]


@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any]
    id: str | None = None  # the native tool-call id, to answer with a tool message


@dataclass(frozen=True)
class Problem:
    """A malformed reply: its kind is counted; its message goes back to the model."""

    kind: Literal["no_action", "empty_reply", "truncated", "bad_json", "unknown_tool", "invalid_args", "extra_call"]
    message: str
    tool_call_id: str | None = None


@dataclass
class Parsed:
    calls: list[Call] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # appended to the first observation


class ToolProtocol(Protocol):
    name: str
    error_help: str  # said after a failed cell, in the protocol's own terms

    def system_prompt(self, tool_names: list[str]) -> str: ...

    def tool_schemas(self, tool_names: list[str]) -> list[dict[str, Any]] | None: ...

    def parse(self, reply: LLMReply, tool_names: list[str]) -> Parsed: ...
