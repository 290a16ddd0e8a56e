"""The local executor: episodes on this machine in a thread pool of `workers`, every worker's
backend for a local model attached to one llama.cpp server per model for the whole sweep."""

from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path

from ctxbench.executors.base import EXECUTORS, Executor, Finished, SweepSettings
from ctxbench.executors.jobs import Job, run_job
from ctxbench.llm import llama_server


def shared_local_servers(jobs: list[Job], stack: ExitStack, log_dir: Path) -> list[Path]:
    """One llama.cpp server per local model for the whole sweep: its episodes' backends attach to it.
    Returns the servers' console logs."""
    models = {
        llama_server.server_key(j.config.model): j.config.model for j in jobs if j.config.model.backend == "llama_cpp"
    }
    logs = [log_dir / f"llama_server_{index}.log" for index in range(len(models))]
    for model, log in zip(models.values(), logs, strict=True):
        stack.enter_context(llama_server.shared_server(model, log))
    return logs


class LocalExecutor:
    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, jobs: list[Job], root: Path, finished: Finished) -> None:
        with ExitStack() as stack:
            server_logs = shared_local_servers(jobs, stack, root)
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                futures: dict[Future[dict], Job] = {pool.submit(run_job, job, server_logs): job for job in jobs}
                try:
                    for future in as_completed(futures):
                        error = future.exception()
                        finished(futures[future], error if error is not None else future.result())
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise


@EXECUTORS.register("local")
def local_executor(settings: SweepSettings) -> Executor:
    return LocalExecutor(settings.workers)
