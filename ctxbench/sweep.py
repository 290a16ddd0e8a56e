"""Sweeps: the grid tasks x policies x modes x models x prompts x repeats, run in parallel, one
folder per episode, resumable. `results/<experiment>/<task>/<policy>__<mode>__<model>[__<prompt>]/<repeat>/`
holds trace.jsonl, messages.json (the last context sent), the work dir and result.json; an
episode counts as done only when its result.json exists (written last, atomically)."""

import copy
import itertools
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ctxbench.config import read_config_file, validate_config
from ctxbench.errors import ConfigError, HarnessError
from ctxbench.executors import make_executor
from ctxbench.executors.jobs import Job, is_done
from ctxbench.executors.ray_options import RayOptions


class PromptVariant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    text: str | None = None
    file: Path | None = None
    folder: Path | None = Field(None, description="Every file in it is one variant, named by its stem")

    @model_validator(mode="after")
    def one_source(self) -> "PromptVariant":
        if sum(x is not None for x in (self.text, self.file, self.folder)) != 1:
            raise ValueError("give exactly one of text, file or folder")
        return self

    def expand(self) -> list[tuple[str, str]]:
        if self.text is not None:
            return [(self.name or "prompt", self.text)]
        if self.file is not None:
            return [(self.name or self.file.stem, read_text(self.file))]
        assert self.folder is not None
        files = sorted(p for p in self.folder.iterdir() if p.is_file()) if self.folder.is_dir() else []
        if not files:
            raise ConfigError(f"prompt folder {self.folder} has no files")
        return [(p.stem, read_text(p)) for p in files]


def read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigError(f"prompt file {path}: {exc}") from None


class SweepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment: str = Field(pattern=r"^[\w.-]+$")
    base_config: Path = Field(Path("config.json"), description="The run config every episode starts from")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Merged into the base config")
    tasks: list[str | dict[str, Any]] = Field(
        default_factory=lambda: list[str | dict[str, Any]](["pbmc_annotation"]), min_length=1
    )
    policies: list[str | dict[str, Any]] = Field(
        default_factory=lambda: list[str | dict[str, Any]](["full_history"]), min_length=1,
        description="Types or presets by name; or a policy as a dict whose list-of-values fields are axes: "
        '{"type": "sliding_window", "turns": [2, 4, 8]} is three cells',
    )  # fmt: skip
    modes: list[str] = Field(default_factory=lambda: ["agentic"], min_length=1)
    models: list[str | dict[str, Any]] = Field(default_factory=list, description="Empty: the base model")
    prompts: list[PromptVariant] = Field(default_factory=list, description="Empty: the task's own prompt")
    repeats: int = Field(1, ge=1)
    workers: int = Field(1, ge=1, description="Episodes at once on this machine (a Ray cluster started here too)")
    executor: Literal["local", "ray"] = Field("local", description="Where episodes run: threads here, or Ray tasks")
    ray_address: str | None = Field(
        None, description="With executor ray: the cluster to join (host:port, auto, ray://...); none starts one here"
    )
    ray: RayOptions = Field(default_factory=RayOptions, description="With executor ray: resources, retries, shipping")
    results_dir: Path = Path("results")

    @model_validator(mode="after")
    def shared_results_are_absolute(self) -> "SweepConfig":
        if self.executor == "ray" and self.ray.shared_results and not self.results_dir.is_absolute():
            raise ValueError("ray.shared_results needs an absolute results_dir that every node sees")
        return self


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-") or "x"


def policy_cells(entries: list[str | dict[str, Any]], presets: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, policy config) per cell. A name is a preset or a type; a dict is one policy, one cell
    per combination of its axes (fields holding a list of plain values; a pipeline's list of stages
    is a value), labelled `type[field=value,...]` by its parameters."""
    cells: list[tuple[str, dict[str, Any]]] = []
    for entry in entries:
        if isinstance(entry, str):
            cells.append((entry, presets.get(entry, {"type": entry})))
            continue
        axes = {key: value for key, value in entry.items() if is_axis(value)}
        for values in itertools.product(*axes.values()):
            policy = {**entry, **dict(zip(axes, values, strict=True))}
            params = ",".join(f"{key}={value}" for key, value in policy.items() if key != "type" and not is_list(value))
            cells.append((f"{policy['type']}[{params}]" if params else str(policy["type"]), policy))
    labels = [label for label, _ in cells]
    if duplicated := sorted({label for label in labels if labels.count(label) > 1}):
        raise ConfigError(f"sweep policies: {', '.join(duplicated)} appear more than once")
    return cells


def is_list(value: Any) -> bool:
    return isinstance(value, list)


def is_axis(value: Any) -> bool:
    return is_list(value) and bool(value) and all(isinstance(v, (int, float, str)) or v is None for v in value)


def task_entries(tasks: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
    """The sweep's tasks, a folder of task files standing for every task file in it."""
    entries: list[str | dict[str, Any]] = []
    for task in tasks:
        if isinstance(task, dict) and task.get("name") == "task_file" and Path(task["path"]).is_dir():
            folder = Path(task["path"])
            files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
            if not files:
                raise ConfigError(f"task file folder {folder} holds no .yaml file")
            entries += [{**task, "path": str(file)} for file in files]
        else:
            entries.append(task)
    return entries


def expand(sweep: SweepConfig) -> list[Job]:
    """Every episode of the grid, validated before anything runs."""
    base = merge(read_config_file(sweep.base_config), sweep.overrides)
    presets = base.get("policy_presets") or {}
    prompts: list[tuple[str | None, str]] = [v for p in sweep.prompts for v in p.expand()] or [(None, "")]
    models = sweep.models or [base.get("model", {})]
    jobs = []
    for task, (label, policy), mode, model, (prompt_name, prompt), repeat in itertools.product(
        task_entries(sweep.tasks),
        policy_cells(sweep.policies, presets),
        sweep.modes,
        models,
        prompts,
        range(sweep.repeats),
    ):
        raw = copy.deepcopy(base)
        raw["task"] = {"name": task} if isinstance(task, str) else task
        raw["policy"] = copy.deepcopy(policy)
        raw["policy_preset"] = None if label == policy.get("type") else label  # the cell's label otherwise
        raw["reasoning_mode"] = mode
        raw["model"] = merge(base.get("model", {}), {"name": model} if isinstance(model, str) else model)
        raw["prompt_prefix"], raw["prompt_name"] = prompt, prompt_name or ""
        raw["seed"] = int(base.get("seed", 0)) + repeat
        raw["repeat"] = repeat
        config = validate_config(raw, f"sweep {sweep.experiment}")
        cell_name = "__".join([config.policy_label, mode, config.model.name, *([prompt_name] if prompt_name else [])])
        folder = sweep.results_dir / sweep.experiment / slug(config.task.label) / slug(cell_name) / str(repeat)
        cell = {"task": config.task.label, "policy": config.policy_label, "mode": mode, "model": config.model.name,
                "prompt": prompt_name or "", "repeat": repeat, "seed": config.seed}  # fmt: skip
        jobs.append(Job(config, folder, cell))
    # Repeat by repeat: a sweep stopped part-way leaves whole repeats of every cell, so each policy's
    # episodes still have their pairs (same seed) in the others.
    return sorted(jobs, key=lambda job: job.cell["repeat"])


def run_sweep(sweep: SweepConfig, resume: bool) -> Path:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    jobs = expand(sweep)
    root = sweep.results_dir / sweep.experiment
    finished = [j for j in jobs if is_done(j.folder)]
    if finished and not resume:
        raise ConfigError(
            f"{root} already has {len(finished)} finished episodes: pass --resume or rename the experiment"
        )
    todo = [j for j in jobs if not is_done(j.folder)]
    executor = make_executor(sweep.executor, sweep)
    root.mkdir(parents=True, exist_ok=True)
    (root / "sweep.json").write_text(sweep.model_dump_json(indent=2))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, redirect_stdout=False, redirect_stderr=False) as progress:
        bar = progress.add_task(sweep.experiment, total=len(jobs), completed=len(jobs) - len(todo))

        def report(job: Job, outcome: dict[str, Any] | BaseException) -> None:
            if isinstance(outcome, HarnessError):
                progress.console.print(f"[red]episode failed[/red] {job.folder}: {outcome}")
            elif isinstance(outcome, BaseException):
                raise outcome  # a bug of the harness ends the sweep, as it always did
            else:
                score = "not scored" if outcome["score"] is None else f"{outcome['score']:.3f}"
                progress.console.print(f"{outcome['task']} {outcome['policy']} {outcome['mode']} "
                                       f"#{outcome['repeat']}: {score} ({outcome['stop']})")  # fmt: skip
            progress.advance(bar)

        executor.run(todo, root, report)
    return root
