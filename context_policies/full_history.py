"""full_history: every event, as it happened. The reference every other policy is compared to."""

from collections.abc import Sequence
from typing import Literal

from context_policies.base import POLICIES, ContextView, PolicyConfig
from ctxbench.events import Event


class FullHistoryConfig(PolicyConfig):
    type: Literal["full_history"] = "full_history"


@POLICIES.register("full_history")
class FullHistory:
    config_class = FullHistoryConfig

    def build(self, history: Sequence[Event]) -> ContextView:
        return ContextView(
            messages=[event.to_message() for event in history],
            record={"policy": "full_history", "kept": len(history), "dropped": 0},
        )
