"""pipeline: several policies applied in order, each to the view the previous one returned (each
stage's own budget applies after it; the pipeline's budget at the end)."""

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, ContextPolicy, Item, PolicyConfig, apply_with_budget

if TYPE_CHECKING:
    AnyPolicyConfigRef = PolicyConfig
else:
    AnyPolicyConfigRef = "AnyPolicyConfig"  # resolved in context_policies/__init__.py


class PipelineConfig(PolicyConfig):
    type: Literal["pipeline"] = "pipeline"
    stages: list[AnyPolicyConfigRef] = Field(min_length=1, description="Policies applied in order")


@POLICIES.register("pipeline")
class Pipeline:
    config_class = PipelineConfig

    def __init__(self, config: PipelineConfig) -> None:
        from context_policies.base import policy_from_config

        self.config = config
        self.stages: list[tuple[ContextPolicy, PolicyConfig]] = [(policy_from_config(s), s) for s in config.stages]

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        for policy, config in self.stages:
            items = apply_with_budget(policy, config, items, ctx)
        return items
