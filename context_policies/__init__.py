"""Context policies, one per file, each registered by its `type` name.

`AnyPolicyConfig` is the union of every policy's config, discriminated by `type` (a pipeline's
stages are themselves any policy config).
"""

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from context_policies.base import (
    POLICIES,
    ContextBuilder,
    ContextPolicy,
    ContextView,
    PolicyConfig,
    policy_from_config,
)
from context_policies.budget_mix import BudgetMixConfig
from context_policies.full_history import FullHistoryConfig
from context_policies.observation_masking import ObservationMaskingConfig
from context_policies.pipeline import PipelineConfig
from context_policies.retrieval import RetrievalConfig
from context_policies.sliding_window import SlidingWindowConfig
from context_policies.structured_state import StructuredStateConfig
from context_policies.summarization import SummarizationConfig

_CONFIGS = (
    FullHistoryConfig,
    SlidingWindowConfig,
    ObservationMaskingConfig,
    SummarizationConfig,
    RetrievalConfig,
    StructuredStateConfig,
    BudgetMixConfig,
    PipelineConfig,
)
if TYPE_CHECKING:
    AnyPolicyConfig = PolicyConfig
else:
    AnyPolicyConfig = Annotated[Union[_CONFIGS], Field(discriminator="type")]
    PipelineConfig.model_rebuild(_types_namespace={"AnyPolicyConfig": AnyPolicyConfig})

__all__ = [
    "POLICIES",
    "AnyPolicyConfig",
    "ContextBuilder",
    "ContextPolicy",
    "ContextView",
    "PolicyConfig",
    "policy_from_config",
]
