"""Episode budgets. A spent budget ends the episode with that reason recorded."""

from pydantic import BaseModel, ConfigDict, Field


class BudgetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(12, ge=1, description="Model calls per episode")
    max_tokens: int = Field(150_000, ge=1, description="Prompt + completion tokens per episode")
    wall_time_s: float = Field(1800.0, gt=0, description="Wall time per episode")
    max_cost_usd: float | None = Field(None, gt=0, description="Model cost per episode (None: no limit)")
