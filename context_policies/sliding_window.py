"""sliding_window: the last N turns; the system prompt and task statement are always kept."""

from typing import Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, split_turns


class SlidingWindowConfig(PolicyConfig):
    type: Literal["sliding_window"] = "sliding_window"
    turns: int = Field(4, ge=1, description="Model turns kept (each with what followed it); the newest always")


@POLICIES.register("sliding_window")
class SlidingWindow:
    config_class = SlidingWindowConfig

    def __init__(self, config: SlidingWindowConfig) -> None:
        self.config = config

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        head, turns = split_turns(items)
        old, kept = turns[: -self.config.turns], turns[-self.config.turns :]  # turns >= 1: never [-0:]
        ctx.note("dropped", sum(len(t) for t in old))
        return flatten(head, kept)
