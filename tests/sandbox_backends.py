"""Sandbox backends available to tests. Docker tests fail (not skip) in CI when no engine answers."""

import os
import shutil
import subprocess

import pytest


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
