"""One episode of a sweep as a job, and how any executor runs it. An episode counts as done only
when its folder holds result.json (written last, atomically), so every executor shares one layout
and one notion of done: a sweep begun by one executor can be finished by another."""

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctxbench.config import RunConfig


@dataclass
class Job:
    config: RunConfig
    folder: Path  # where the episode is kept: results/<experiment>/<task>/<cell>/<repeat>
    cell: dict[str, Any]  # task, policy, mode, model, prompt, repeat, seed

    @property
    def key(self) -> str:
        return self.folder.as_posix()


def is_done(folder: Path) -> bool:
    return (folder / "result.json").is_file()


def log_sizes(logs: Sequence[Path]) -> list[int]:
    return [log.stat().st_size if log.exists() else 0 for log in logs]


def keep_log_slices(logs: Sequence[Path], since: list[int], folder: Path) -> None:
    """What each shared server's console log gained during an episode, kept in the episode's folder
    (beside its sandbox_stderr.log). With several workers the slice holds their lines of that time too."""
    for log, start in zip(logs, since, strict=True):
        if log.exists() and log.stat().st_size > start:
            with open(log, "rb") as source:
                source.seek(start)
                (folder / log.name).write_bytes(source.read())


def run_job(job: Job, server_logs: Sequence[Path] = (), run_in: Path | None = None) -> dict[str, Any]:
    """Runs the episode in job.folder, or in `run_in` when it is kept elsewhere in the end (a Ray
    worker runs it in a folder of its own and sends it back); either way its run id and records
    name job.folder. Returns the row the sweep prints."""
    from ctxbench.runner import run_episode
    from ctxbench.tracing.reader import load_episode

    folder = run_in or job.folder
    if folder.exists():  # a partial episode from a killed run: redo it from scratch
        shutil.rmtree(folder)
    since = log_sizes(server_logs)
    result = run_episode(job.config, episode_dir=folder, trace_path=folder / "trace.jsonl", kept_in=job.folder)
    keep_log_slices(server_logs, since, folder)
    calls = load_episode(folder / "trace.jsonl").llm_calls
    (folder / "messages.json").write_text(json.dumps(calls[-1]["messages"] if calls else [], indent=1))
    return {**job.cell, "score": result.score.value if result.score else None, "stop": result.stop_reason}
