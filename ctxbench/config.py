"""The run configuration: one pydantic model for all of config.json, each part defined next to the
code it configures. Unknown fields are errors; errors name the field and the allowed values."""

import json
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchmarks import AnyTaskConfig
from context_policies import AnyPolicyConfig
from ctxbench.budget import BudgetConfig
from ctxbench.errors import ConfigError
from ctxbench.llm.base import ModelConfig
from ctxbench.modes.scaffold import ScaffoldConfig
from ctxbench.protocols.base import ProtocolName
from ctxbench.sandbox.base import SandboxConfig
from ctxbench.tracing.otel import PhoenixConfig

ToolName = Literal["run_python", "list_files", "read_file", "retrieve", "ask_clarifying", "final_answer", "run_bash"]
ALL_TOOLS: tuple[ToolName, ...] = get_args(ToolName)
# run_bash is offered only when asked for: the measurements so far ran without it, and a new tool
# changes the system prompt every episode sees.
DEFAULT_TOOLS: tuple[ToolName, ...] = tuple(name for name in ALL_TOOLS if name != "run_bash")


class TelemetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    traces_dir: Path = Field(Path("traces"), description="One JSONL trace per episode is written here")
    phoenix: PhoenixConfig = Field(default_factory=PhoenixConfig)
    console: bool = Field(False, description="Print the conversation on the terminal as it happens (--watch)")


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    task: AnyTaskConfig = Field(default_factory=lambda: {"name": "pbmc_annotation"})  # type: ignore[assignment]
    policy: AnyPolicyConfig = Field(default_factory=lambda: {"type": "full_history"})  # type: ignore[assignment]
    policy_presets: dict[str, AnyPolicyConfig] = Field(
        default_factory=dict, description="Named policies selectable by --policy-type NAME"
    )
    policy_preset: str | None = Field(None, description="Set when `policy` came from a preset (for labels)")
    reasoning_mode: Literal["agentic", "controller", "direct"] = "agentic"
    tool_protocol: ProtocolName = Field(
        "auto", description="text (fenced code / ACTION lines), native (tool calls), auto: by backend"
    )
    tools: list[ToolName] = Field(
        default_factory=lambda: list(DEFAULT_TOOLS), description="Tools offered in agentic mode (run_bash on request)"
    )
    scaffold: ScaffoldConfig = Field(default_factory=ScaffoldConfig, description="Help for small models, per piece")

    @property
    def policy_label(self) -> str:
        return self.policy_preset or self.policy.type

    model: ModelConfig = Field(default_factory=ModelConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    prompt_prefix: str = Field("", description="Text put before the task prompt (prompt variants in sweeps)")
    prompt_name: str = Field("", description="The prompt variant's name (labels only)")
    seed: int = 0
    repeat: int = Field(0, ge=0, description="Which repeat of this cell of a sweep (labels only)")
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
        raise ConfigError(f"{source}: {describe_validation_error(exc, raw)}") from None


def describe_validation_error(exc: ValidationError, raw: Any) -> str:
    return "; ".join(f"{user_location(error['loc'], raw) or '(top level)'}: {error['msg']}" for error in exc.errors())


def user_location(loc: tuple[Any, ...], raw: Any) -> str:
    """The field path as the user wrote it: pydantic also puts the tag of a discriminated union
    (e.g. `pipeline` for {"type": "pipeline"}) into the location; those are skipped."""
    parts, node = [], raw
    for part in loc:
        if isinstance(node, dict) and part not in node and part in (node.get("type"), node.get("name")):
            continue  # a union tag, not a field
        parts.append(str(part))
        node = _child(node, part)
    return ".".join(parts)


def _child(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None
