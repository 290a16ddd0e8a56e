"""Context policies, one per file, each registered by its `type` name.

`AnyPolicyConfig` is the union of every policy's config, discriminated by `type`.
"""

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from context_policies.base import POLICIES, ContextPolicy, ContextView, PolicyConfig, policy_from_config
from context_policies.full_history import FullHistoryConfig

_CONFIGS = (FullHistoryConfig,)
if TYPE_CHECKING:
    AnyPolicyConfig = PolicyConfig
else:
    AnyPolicyConfig = Annotated[Union[_CONFIGS], Field(discriminator="type")] if len(_CONFIGS) > 1 else _CONFIGS[0]

__all__ = [
    "POLICIES",
    "AnyPolicyConfig",
    "ContextPolicy",
    "ContextView",
    "PolicyConfig",
    "policy_from_config",
]
