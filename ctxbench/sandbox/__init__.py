"""Sandboxes by name. Importing a backend module registers it."""

from pathlib import Path

from ctxbench.sandbox import bubblewrap, docker_backend  # noqa: F401  (registration)
from ctxbench.sandbox.base import SANDBOXES, CellResult, Sandbox, SandboxConfig


def make_sandbox(config: SandboxConfig, workdir: Path, data_dir: Path | None) -> Sandbox:
    cls = SANDBOXES.get(config.backend)
    return cls(config, workdir, data_dir)  # type: ignore[call-arg]


__all__ = ["SANDBOXES", "CellResult", "Sandbox", "SandboxConfig", "make_sandbox"]
