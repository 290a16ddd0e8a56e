"""The sandbox protocol: a persistent Python session in which model-written code runs.

A failing cell is data (an outcome), not an exception. Backends register by name.
"""

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ctxbench.registry import Registry

Outcome = Literal["ok", "error", "timeout", "killed", "crashed"]


# The session's environment on every backend (each adds only where its Python lives: PATH).
SESSION_ENV = {
    "HOME": "/work",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "NUMBA_CACHE_DIR": "/tmp/numba",
    "OMP_NUM_THREADS": "2",
    "OPENBLAS_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
}


class SandboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["bubblewrap", "docker"] = "bubblewrap"
    cell_timeout_s: float = Field(120.0, gt=0, description="A cell running longer is interrupted")
    kill_grace_s: float = Field(5.0, gt=0, description="Then, if still running, killed and restarted")
    memory_mb: int = Field(
        4096,
        ge=256,
        description="Memory of the whole session, its tmpfs included, no swap: a cgroup on both "
        "backends (bubblewrap falls back to an address-space limit per process where it cannot make one)",
    )
    tmp_mb: int = Field(512, ge=16, description="Size of the session's /tmp (memory-backed)")
    work_mb: int = Field(
        2048,
        ge=16,
        description="Size of the session's /work (a file system of its own where the "
        "harness may mount one; else unbounded, and the sandbox log says so)",
    )
    shm_mb: int = Field(64, ge=16, description="Size of the session's /dev/shm (memory-backed)")
    max_procs: int = Field(128, ge=8, description="Process/thread limit of the session")
    output_limit_chars: int = Field(4000, ge=100, description="Per stream, per cell; the rest is counted")
    startup_timeout_s: float = Field(30.0, gt=0)
    cpus: float = Field(2.0, gt=0, description="CPU quota of the session")
    docker_image: str = Field("ctxbench-sandbox:latest", description="Built by scripts/docker_image.sh")
    site_packages: Path | None = Field(
        None,
        description="bubblewrap: the packages the session sees; None: the pruned set scripts/sandbox_env.sh builds",
    )


@dataclass
class CellResult:
    outcome: Outcome
    stdout: str
    stderr: str
    error: str | None
    duration_s: float
    truncated_chars: int = 0
    restarted: bool = False

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        """The observation text the model sees."""
        parts = []
        if self.stdout:
            parts.append(self.stdout.rstrip("\n"))
        if self.stderr:
            parts.append("[stderr]\n" + self.stderr.rstrip("\n"))
        if self.error:
            parts.append("[error]\n" + self.error.rstrip("\n"))
        if self.truncated_chars:
            parts.append(f"[output truncated: {self.truncated_chars} more characters not shown]")
        if self.restarted:
            parts.append("[the Python session was restarted: all variables are lost, files in the work dir remain]")
        return "\n".join(parts) if parts else "[no output]"


class Sandbox(ABC):
    """A persistent session: `run_cell` keeps variables between calls until a restart."""

    workdir: Path
    config: SandboxConfig

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def run_cell(self, code: str, timeout_s: float | None = None) -> CellResult: ...

    @abstractmethod
    def restart(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


SANDBOXES: Registry[type[Sandbox]] = Registry("sandbox backend")
