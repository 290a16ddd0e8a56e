"""The run configuration: one pydantic model for all of config.json, each part defined next to the
code it configures. Unknown fields are errors; errors name the field and the allowed values."""

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchmarks import AnyTaskConfig
from context_policies import AnyPolicyConfig
from ctxbench.budget import BudgetConfig
from ctxbench.errors import ConfigError
from ctxbench.llm.base import ModelConfig
from ctxbench.sandbox.base import SandboxConfig


class TelemetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    traces_dir: Path = Field(Path("traces"), description="One JSONL trace per episode is written here")


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    task: AnyTaskConfig = Field(default_factory=lambda: {"name": "pbmc_annotation"})  # type: ignore[assignment]
    policy: AnyPolicyConfig = Field(default_factory=lambda: {"type": "full_history"})  # type: ignore[assignment]
    reasoning_mode: Literal["agentic"] = "agentic"
    model: ModelConfig = Field(default_factory=ModelConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    seed: int = 0
    out: Path = Field(Path("results"), description="Episode folders (work dir, result.json) go here")


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a JSON object")
    return raw


def validate_config(raw: dict[str, Any], source: str) -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        # Drop union/tag names pydantic inserts into the location; keep the user's field path.
        location = ".".join(str(p) for p in error["loc"] if not (isinstance(p, str) and p[:1].isupper()))
        problems.append(f"{location or '(top level)'}: {error['msg']}")
    return "; ".join(problems)
