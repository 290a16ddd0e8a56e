"""Sandbox backends available to tests. Docker tests fail (not skip) in CI when no engine answers."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ctxbench.sandbox import SandboxConfig, make_sandbox
from ctxbench.sandbox.base import Sandbox


def docker_ready() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "image", "inspect", "ctxbench-sandbox:latest"], capture_output=True, timeout=30, check=False
    )
    return probe.returncode == 0


def backend_params() -> list:
    """bubblewrap and docker; in CI a missing engine is a failure, elsewhere a skip."""
    in_ci = bool(os.environ.get("CI"))
    params = []
    for name, ready in (("bubblewrap", shutil.which("bwrap") is not None), ("docker", docker_ready())):
        marks = [] if ready or in_ci else [pytest.mark.skip(reason=f"{name} not set up (scripts/setup.sh)")]
        params.append(pytest.param(name, marks=[pytest.mark.slow, *marks], id=name))
    return params


HOSTILE_LIMITS = dict(cell_timeout_s=3, kill_grace_s=3, output_limit_chars=1000, memory_mb=1024, max_procs=64)


@contextmanager
def hostile_box(backend: str, tmp_path: Path) -> Iterator[Sandbox]:
    """A session with tight limits (HOSTILE_LIMITS) for the hostile suites, a file in /data, and
    `alive = 'yes'` set so a suite can check the session survived."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text("data")
    config = SandboxConfig(backend=backend, **HOSTILE_LIMITS)
    with make_sandbox(config, tmp_path / "ep" / "work", data) as sandbox:
        sandbox.run_cell("alive = 'yes'")
        yield sandbox
