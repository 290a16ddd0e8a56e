"""full_history: every event, as it happened. The reference every other policy is compared to."""

from typing import Literal

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig


class FullHistoryConfig(PolicyConfig):
    type: Literal["full_history"] = "full_history"


@POLICIES.register("full_history")
class FullHistory:
    config_class = FullHistoryConfig

    def __init__(self, config: FullHistoryConfig) -> None:
        self.config = config

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        return items
