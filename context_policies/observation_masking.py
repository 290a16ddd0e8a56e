"""observation_masking (SWE-agent style): tool outputs older than the last N turns are replaced by
a one-line placeholder saying what was omitted. The model's own messages stay."""

from typing import Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, split_turns

MASKED_KINDS = frozenset({"observation"})


def placeholder(item: Item, ctx: BuildContext) -> str:
    lines = item.content.count("\n") + 1
    return f"[output of step {item.step} omitted: {lines} lines, {ctx.counter.count(item.content)} tokens]"


class ObservationMaskingConfig(PolicyConfig):
    type: Literal["observation_masking"] = "observation_masking"
    keep_last: int = Field(2, ge=0, description="Turns whose outputs are shown in full")


@POLICIES.register("observation_masking")
class ObservationMasking:
    config_class = ObservationMaskingConfig

    def __init__(self, config: ObservationMaskingConfig) -> None:
        self.config = config
        self._placeholders: dict[tuple[int, str], str] = {}

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        head, turns = split_turns(items)
        cut = max(0, len(turns) - self.config.keep_last)
        for index in range(cut):
            turns[index] = [self._mask(item, ctx) for item in turns[index]]
        return flatten(head, turns)

    def _mask(self, item: Item, ctx: BuildContext) -> Item:
        if item.kind not in MASKED_KINDS:
            return item
        ctx.note("masked")
        key = (item.step, item.content)
        if key not in self._placeholders:  # built once per observation: the view is rebuilt every step
            self._placeholders[key] = placeholder(item, ctx)
        return Item(item.kind, self._placeholders[key], item.step, item.role, item.extra)
