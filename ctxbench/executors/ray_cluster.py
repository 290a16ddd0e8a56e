"""The Ray executor: each episode a Ray task on a cluster (an existing one at `ray_address`, or one
started on this machine), with what it needs of a node as resources: CPUs, memory, and custom
resources naming its sandbox backend and, for the embedded model, a node that can serve it. A node
offers them when it starts:

    ray start --address HEAD:6379 --resources '{"ctxbench_sandbox_bubblewrap": 2, "ctxbench_llama": 1}'

A worker runs its episode in a folder of its own and sends it back as a tar archive; the driver
unpacks it into the sweep's layout (result.json inside, the folder renamed into place whole), so
results, traces and work files land where the driver runs, laid out as the local executor lays
them. With `ray.shared_results` the workers write into `results_dir` directly instead (a path every
node sees). An episode whose node or worker dies runs again (`ray.max_retries`); only a finished
episode is ever written, so a sweep killed with its driver resumes with either executor.

The embedded model: one llama.cpp server per node and model, a Ray actor the node's first episode
starts (ray_model_server.py) and the node's episodes share, as the local executor's workers share one.

Ray is imported only when this executor runs: importing the harness never needs it."""

import io
import json
import logging
import os
import shutil
import socket
import tarfile
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ctxbench.errors import ConfigError, HarnessError
from ctxbench.executors.base import EXECUTORS, Executor, Finished, SweepSettings
from ctxbench.executors.jobs import Job, run_job
from ctxbench.executors.ray_model_server import NAMESPACE
from ctxbench.executors.ray_options import RayOptions

LLAMA_RESOURCE = "ctxbench_llama"
REPO = Path(__file__).resolve().parents[2]
# Never shipped to the workers: what a run writes (Ray itself leaves out .git, .venv and what
# .gitignore lists).
SHIP_EXCLUDES = ["results", "traces", "figs", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"]


def resource_needs(job: Job, options: RayOptions) -> dict[str, Any]:
    """The Ray task options of one episode: CPUs, memory and the custom resources it needs of a node."""
    config = job.config
    custom = {f"ctxbench_sandbox_{config.sandbox.backend}": 1.0}
    if config.model.backend == "llama_cpp":
        custom[LLAMA_RESOURCE] = 1.0
    memory_mb = options.episode_memory_mb or config.sandbox.memory_mb + 1024
    return {"num_cpus": options.episode_cpus, "memory": memory_mb * 2**20, "resources": custom}


def pack(folder: Path) -> bytes:
    """The episode's folder as a gzip'd tar, at the fastest level: most of it is the task's data copy
    (an .h5ad), which gzip -9 took 0.8 s an episode to shrink little more."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        archive.add(folder, arcname=".")
    return buffer.getvalue()


def within_folder(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, except that a member it refuses is left out rather than failing the
    whole landing: the work dir is the agent's, and a symlink it made to /etc/passwd must neither
    land outside the episode's folder nor stop the sweep."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def land(bundle: bytes, folder: Path, executor_record: dict[str, Any]) -> None:
    """Unpacks an episode sent back by a worker into its place in the layout. It is unpacked beside
    it and renamed into place whole, so a driver killed half-way never leaves a folder that looks
    finished; a partial folder left by a killed local run is replaced."""
    incoming = folder.with_name(folder.name + ".incoming")
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:gz") as archive:
        archive.extractall(incoming, filter=within_folder)
    (incoming / "executor.json").write_text(json.dumps(executor_record, indent=1))
    if folder.exists():
        shutil.rmtree(folder)
    incoming.rename(folder)


def run_remote(job: Job, experiment: str, shared_results: bool, attempts: Any) -> dict[str, Any]:
    """The body of an episode's Ray task, on whichever node Ray chose."""
    import ray

    from ctxbench.executors import ray_model_server

    node = ray.get_runtime_context().get_node_id()
    ray.get(attempts.started.remote(job.key, node))  # recorded before the episode can end
    with ExitStack() as stack:
        server = None
        if job.config.model.backend == "llama_cpp":
            server = stack.enter_context(ray_model_server.node_server(job.config.model, experiment, node))
        if shared_results:
            folder = job.folder
            row = run_job(job)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ctxbench-episode-"))) / "episode"
            row = run_job(job, run_in=folder)
        if server is not None:
            server.keep_log_slice(folder)
        bundle = None if shared_results else pack(folder)
    return {"row": row, "bundle": bundle, "node": node, "host": socket.gethostname()}


class AttemptLog:
    """A Ray actor on the driver's node: which node each episode started on, every time it started.
    An episode that started twice ran again after its node or worker died."""

    def __init__(self) -> None:
        self.attempts: dict[str, list[str]] = {}

    def started(self, key: str, node: str) -> None:
        self.attempts.setdefault(key, []).append(node)

    def of(self, key: str) -> list[str]:
        return self.attempts.get(key, [])

    def all(self) -> dict[str, list[str]]:
        return self.attempts


class RayExecutor:
    def __init__(self, options: RayOptions, address: str | None, experiment: str, local_slots: int) -> None:
        self.options, self.address, self.experiment = options, address, experiment
        self.local_slots = local_slots  # a cluster started here offers this many episodes at once

    def run(self, jobs: list[Job], root: Path, finished: Finished) -> None:
        import ray

        with ExitStack() as stack:
            self.connect(ray, stack)
            self.check_resources(ray, jobs)
            stack.callback(self.stop_model_servers, ray)
            attempts = self.attempt_log(ray)
            task = ray.remote(run_remote)
            pending = {
                task.options(**resource_needs(job, self.options), max_retries=self.options.max_retries,
                             retry_exceptions=False)  # an exception of the episode itself is its result
                .remote(job, self.experiment, self.options.shared_results, attempts): job
                for job in jobs
            }  # fmt: skip
            try:
                self.collect(ray, pending, attempts, finished)
            except KeyboardInterrupt:
                for ref in pending:
                    ray.cancel(ref, force=True)
                raise

    def collect(self, ray: Any, pending: dict[Any, Job], attempts: Any, finished: Finished) -> None:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(ready[0])
            try:
                returned = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:  # the episode raised: as the local executor reports it
                finished(job, exc.cause if isinstance(exc.cause, BaseException) else exc.as_instanceof_cause())
                continue
            except ray.exceptions.RayError as exc:  # retries spent on lost nodes or workers
                finished(job, HarnessError(f"Ray could not finish the episode: {type(exc).__name__}: {exc}"))
                continue
            record = {"executor": "ray", "node": returned["node"], "host": returned["host"],
                      "attempts": ray.get(attempts.of.remote(job.key))}  # fmt: skip
            if returned["bundle"] is not None:
                land(returned["bundle"], job.folder, record)
            else:
                (job.folder / "executor.json").write_text(json.dumps(record, indent=1))
            finished(job, returned["row"])

    def connect(self, ray: Any, stack: ExitStack) -> None:
        """Joins the cluster at `ray_address`, or starts one on this machine offering every resource
        an episode may ask for ("local": never a cluster that `ray start` left running here, which
        Ray would join otherwise). A process already connected (a test, a notebook) stays connected."""
        if ray.is_initialized():
            return
        local = {} if self.address else {"resources": self.local_resources()}
        ray.init(address=self.address or "local", namespace=NAMESPACE, runtime_env=self.runtime_env(),
                 log_to_driver=False, logging_level=logging.WARNING, **local)  # fmt: skip
        stack.callback(ray.shutdown)

    def local_resources(self) -> dict[str, float]:
        slots = float(self.local_slots)
        return {"ctxbench_sandbox_bubblewrap": slots, "ctxbench_sandbox_docker": slots, LLAMA_RESOURCE: slots}

    def runtime_env(self) -> dict[str, Any]:
        """This repository as the workers' working dir, and the commit it was shipped from (the
        workers' copy has no .git, and provenance would otherwise say the commit is unknown)."""
        from ctxbench.provenance import harness_and_machine

        harness = harness_and_machine()
        shipped = {"git_commit": harness["git_commit"], "git_dirty": harness["git_dirty"]}
        extra = dict(self.options.runtime_env)
        env_vars = {"CTXBENCH_SHIPPED_FROM": json.dumps(shipped), **extra.pop("env_vars", {})}
        return {"working_dir": str(REPO), "excludes": SHIP_EXCLUDES, "env_vars": env_vars, **extra}

    def check_resources(self, ray: Any, jobs: list[Job]) -> None:
        """Says at once, not after an endless wait, when no node offers what an episode needs."""
        offered = ray.cluster_resources()
        for job in jobs:
            needs = resource_needs(job, self.options)
            for name, amount in {"CPU": needs["num_cpus"], **needs["resources"]}.items():
                if offered.get(name, 0) < amount:
                    raise ConfigError(
                        f"no node of the Ray cluster offers {name} (episode {job.key} needs {amount}): start "
                        f"its nodes with ray start --resources '{{\"{name}\": 2}}' (see README, Ray)"
                    )

    def attempt_log(self, ray: Any) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        actor = ray.remote(AttemptLog).options(
            name=f"ctxbench-attempts-{self.experiment}-{os.getpid()}-{time.time_ns()}", num_cpus=0,
            scheduling_strategy=here,  # on the driver's node: a lost worker node must not take it along
        )  # fmt: skip
        return actor.remote()

    def stop_model_servers(self, ray: Any) -> None:
        from ctxbench.executors import ray_model_server

        ray_model_server.stop_all(ray, self.experiment)


@EXECUTORS.register("ray")
def ray_executor(settings: SweepSettings) -> Executor:
    return RayExecutor(settings.ray, settings.ray_address, settings.experiment, settings.workers)
