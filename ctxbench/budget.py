"""Episode budgets. A spent budget ends the episode with that reason recorded."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ctxbench.renamed import reject_renamed


class BudgetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(12, ge=1, description="Model calls per episode")
    episode_tokens: int = Field(
        150_000, ge=1, description="Tokens per episode: the agent's prompts and replies and the summarizer's"
    )
    wall_time_s: float = Field(1800.0, gt=0, description="Wall time per episode")
    max_cost_usd: float | None = Field(None, gt=0, description="Model cost per episode (None: no limit)")

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        return reject_renamed(data, {"max_tokens": "episode_tokens"})
