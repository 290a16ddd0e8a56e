"""What a result depends on beside its config, kept with every run (as inspect_ai's logs and
AutoGenBench's timestamp.txt keep it): the harness's commit and whether its tree was dirty, the
versions of the packages that shape results, the model file, the sandbox image, the machine and
its load when the episode started. The summary warns when the episodes it compares differ in any
of it (`differences`)."""

import functools
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from ctxbench.config import RunConfig

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("llama-cpp-python", "openai", "scanpy", "scikit-learn", "anndata", "numpy", "pandas")
PER_RUN = ("load_avg_1m",)  # differs between any two runs: never a reason to warn


def provenance(config: RunConfig) -> dict[str, Any]:
    return {**harness_and_machine(), **model_file(config), **sandbox_image(config.sandbox.backend,
            config.sandbox.docker_image), "threads": config.model.n_threads,
            "load_avg_1m": round(os.getloadavg()[0], 2)}  # fmt: skip


@functools.cache
def harness_and_machine() -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    dirty = None if status is None else bool(status.strip())
    if commit is None and (shipped := os.environ.get("CTXBENCH_SHIPPED_FROM")):
        # a copy of the tree shipped to a Ray worker: the driver said which commit it is
        said = json.loads(shipped)
        commit, dirty = said["git_commit"], said["git_dirty"]
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"git_commit": commit, "git_dirty": dirty,
            "packages": versions, "python": platform.python_version(), "cpu": cpu_model(),
            "cpu_count": os.cpu_count()}  # fmt: skip


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None  # not a git checkout (an installed copy): said as unknown, never guessed
    return done.stdout.strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def model_file(config: RunConfig) -> dict[str, Any]:
    """The embedded model's GGUF sha256 (checked when it was fetched); a remote model has none."""
    from ctxbench.llm.catalog import find_embedded

    model = find_embedded(config.model.name) if config.model.backend == "llama_cpp" else None
    return {"model_sha256": model.sha256 if model else None}


@functools.cache
def sandbox_image(backend: str, image: str) -> dict[str, Any]:
    if backend != "docker":
        return {"sandbox": backend, "sandbox_image": None}
    try:
        import docker

        image_id = docker.from_env().images.get(image).id
    except Exception:  # no engine, no image: the run itself will say so; here it is only unknown
        image_id = None
    return {"sandbox": backend, "sandbox_image": image_id}


def differences(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each field (packages by name) whose value differs between the given runs' provenance, with
    the values seen; the load average is left out."""
    seen: dict[str, set[str]] = {}
    for record in records:
        flat = {**{k: v for k, v in record.items() if k != "packages"}, **(record.get("packages") or {})}
        for key, value in flat.items():
            if key not in PER_RUN:
                seen.setdefault(key, set()).add(str(value))
    return {key: sorted(values) for key, values in seen.items() if len(values) > 1}
