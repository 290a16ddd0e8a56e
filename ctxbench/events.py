"""The episode's history: an append-only list of events. Context policies read it; nothing edits it."""

from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal["system", "task", "assistant", "observation", "feedback"]

# Chat role each event kind is shown as.
ROLE_OF: dict[EventKind, str] = {
    "system": "system",
    "task": "user",
    "assistant": "assistant",
    "observation": "user",
    "feedback": "user",
}

# A chat message: role and content, plus `tool_calls` / `tool_call_id` under the native tool protocol.
Message = dict[str, Any]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    content: str
    step: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_message(self) -> Message:
        message: Message = {"role": ROLE_OF[self.kind], "content": self.content}
        if self.meta.get("tool_calls"):
            message["tool_calls"] = self.meta["tool_calls"]
        if self.meta.get("tool_call_id"):
            message["role"], message["tool_call_id"] = "tool", self.meta["tool_call_id"]
        return message
