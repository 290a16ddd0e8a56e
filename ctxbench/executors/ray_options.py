"""How a sweep runs on Ray: the `ray` block of a sweep file (its executor is in ray_cluster.py)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RayOptions(BaseModel):
    """How a sweep runs on Ray (`executor: ray`); `ray_address` says which cluster."""

    model_config = ConfigDict(extra="forbid")

    episode_cpus: float = Field(1.0, gt=0, description="CPUs an episode reserves on its node")
    episode_memory_mb: int | None = Field(
        None, ge=64, description="Memory an episode reserves; default: its sandbox's memory_mb + 1024 for the harness"
    )
    max_retries: int = Field(3, ge=0, description="Times an episode runs again when its node or worker dies")
    shared_results: bool = Field(
        False, description="Workers write into results_dir directly (an absolute path every node sees) "
        "instead of sending each episode's folder back to the driver",
    )  # fmt: skip
    runtime_env: dict[str, Any] = Field(
        default_factory=dict, description="Merged into the default runtime environment: this repository as "
        "working_dir (results, traces and the venv left out), which is how workers import the harness",
    )  # fmt: skip
