"""What an executor is: it runs a sweep's episodes (jobs) and reports each as it ends."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ctxbench.executors.jobs import Job
from ctxbench.executors.ray_options import RayOptions
from ctxbench.registry import Registry

# Called once per episode as it ends: the row it came to, or the exception that ended it.
Finished = Callable[[Job, dict[str, Any] | BaseException], None]


class SweepSettings(Protocol):
    """What an executor reads of the sweep that runs it."""

    experiment: str
    workers: int
    ray_address: str | None
    ray: RayOptions


class Executor(Protocol):
    def run(self, jobs: list[Job], root: Path, finished: Finished) -> None:
        """Runs every job, calling `finished` for each as it ends; root is the experiment's folder."""
        ...


EXECUTORS: Registry[Callable[[SweepSettings], Executor]] = Registry("executor")
