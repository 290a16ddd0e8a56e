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

Message = dict[str, str]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    content: str
    step: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_message(self) -> Message:
        return {"role": ROLE_OF[self.kind], "content": self.content}
