"""The context-policy protocol: a pure function of the event history to the messages sent."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from ctxbench.events import Event, Message
from ctxbench.registry import Registry


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str


@dataclass
class ContextView:
    """What the model is shown this step, and a record of how the policy got there (for the trace)."""

    messages: list[Message]
    record: dict[str, Any] = field(default_factory=dict)


class ContextPolicy(Protocol):
    config_class: ClassVar[type[PolicyConfig]]

    def build(self, history: Sequence[Event]) -> ContextView: ...


POLICIES: Registry[Any] = Registry("context policy")  # type name -> ContextPolicy class


def policy_from_config(config: PolicyConfig) -> ContextPolicy:
    cls = POLICIES.get(config.type)
    policy: ContextPolicy = cls(**config.model_dump(exclude={"type"}))
    return policy
