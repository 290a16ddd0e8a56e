"""Executors run a sweep's episodes: `local` (threads on this machine, one shared llama.cpp server
per model) or `ray` (each episode a Ray task on a cluster, one llama.cpp server per node). Both
keep the same results layout and the same notion of a finished episode (`jobs.is_done`), so a
sweep begun with one can be resumed with the other."""

from ctxbench.executors import local, ray_cluster
from ctxbench.executors.base import EXECUTORS, Executor, SweepSettings

__all__ = ["EXECUTORS", "Executor", "local", "make_executor", "ray_cluster"]


def make_executor(name: str, settings: SweepSettings) -> Executor:
    return EXECUTORS.get(name)(settings)
