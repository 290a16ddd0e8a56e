"""Runs one episode from a validated config: prepares the task, starts the model and the sandbox,
drives the reasoning mode, and always stops what it started."""

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from benchmarks import make_task
from context_policies import ContextBuilder, policy_from_config
from ctxbench.accounting import Summarizer, Totals
from ctxbench.config import RunConfig
from ctxbench.episode import Episode, EpisodeResult
from ctxbench.errors import HarnessError
from ctxbench.llm import make_backend
from ctxbench.llm.tokens import counter_for
from ctxbench.modes import MODES
from ctxbench.protocols import protocol_for
from ctxbench.provenance import provenance
from ctxbench.sandbox import make_sandbox
from ctxbench.sandbox.staging import anonymous_session
from ctxbench.tracing.console import ConsoleSink
from ctxbench.tracing.jsonl import TraceSink, TraceWriter


def run_id_for(config: RunConfig) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{stamp}_{config.task.label}_{config.policy_label}_{config.reasoning_mode}_s{config.seed}"


def unique_dir(root: Path, name: str) -> tuple[str, Path]:
    """A fresh folder under root: never reuses (and so never overwrites) an earlier episode's."""
    for attempt in range(1000):
        run_id = name if attempt == 0 else f"{name}-{attempt}"
        path = root / run_id
        try:
            path.mkdir(parents=True)
            return run_id, path
        except FileExistsError:
            continue
    raise RuntimeError(f"no free episode folder under {root}")


_told_unreachable: set[str] = set()


def telemetry_sinks(config: RunConfig, run_id: str) -> tuple[list[TraceSink], str | None]:
    """The sinks that follow the JSONL trace: the terminal's (--watch), Phoenix's; and a note when
    Phoenix is on but does not answer (said once per process on stderr; the run goes on without it)."""
    watch: list[TraceSink] = [ConsoleSink()] if config.telemetry.console else []
    phoenix, note = phoenix_sinks(config, run_id)
    return watch + phoenix, note


def phoenix_sinks(config: RunConfig, run_id: str) -> tuple[list[TraceSink], str | None]:
    if not config.telemetry.phoenix.enabled:
        return [], None
    # deferred: OpenTelemetry imports take a moment
    from ctxbench.tracing.otel import PhoenixSink, phoenix_base_url, phoenix_reachable

    base_url = phoenix_base_url(config.telemetry.phoenix)
    if not phoenix_reachable(base_url):
        note = (f"Phoenix does not answer at {base_url}: traces go to the JSONL file only "
                "(start it with `bash scripts/phoenix.sh start`, or set telemetry.phoenix.enabled false)")  # fmt: skip
        if base_url not in _told_unreachable:
            _told_unreachable.add(base_url)
            print(note, file=sys.stderr)
        return [], note
    common = {"policy_type": config.policy_label, "reasoning_mode": config.reasoning_mode, "task": config.task.label,
              "seed": config.seed, "repeat": config.repeat, "model": config.model.name, "run_id": run_id}  # fmt: skip
    return [PhoenixSink(config.telemetry.phoenix, common)], None


def run_episode(
    config: RunConfig, episode_dir: Path | None = None, trace_path: Path | None = None, kept_in: Path | None = None
) -> EpisodeResult:
    """Runs one episode. By default it gets a fresh folder under config.out and a trace under
    traces_dir; a sweep passes both (its layout). `kept_in` is the folder the episode is kept in when
    it runs in another one (a Ray worker's, sent back to the driver): its run id and records name
    that folder, so they are the same whichever executor ran it. result.json is written last, atomically."""
    mode = MODES.get(config.reasoning_mode)
    policy = policy_from_config(config.policy)
    counter = counter_for(config.model)
    task = make_task(config.task, config.seed)
    if episode_dir is None:
        run_id, episode_dir = unique_dir(config.out, run_id_for(config))
    else:
        run_id = (kept_in or episode_dir).as_posix().replace("/", "_")
        episode_dir.mkdir(parents=True, exist_ok=False)
    kept_in = kept_in or episode_dir
    prepared = task.prepare(episode_dir / "task")
    if config.prompt_prefix:
        prepared.prompt = f"{config.prompt_prefix.rstrip()}\n\n{prepared.prompt}"
    meta = {
        "task": config.task.label, "policy": config.policy_label, "reasoning_mode": config.reasoning_mode,
        "model": config.model.name, "seed": config.seed, "repeat": config.repeat, "prompt": config.prompt_name,
        "episode_dir": str(kept_in), "provenance": provenance(config),
    }  # fmt: skip
    trace_path = trace_path or config.telemetry.traces_dir / f"{run_id}.jsonl"
    sinks, telemetry_note = telemetry_sinks(config, run_id)
    trace = TraceWriter(trace_path, sinks=sinks)
    trace.emit("run_start", run_id=run_id, config=config.model_dump(mode="json"), **meta)
    if telemetry_note:
        trace.emit("telemetry", sink="PhoenixSink", problems=[telemetry_note], link=None)
    with ExitStack() as stack:
        stack.callback(trace.close)
        try:
            llm = make_backend(config.model, log_dir=episode_dir)
            stack.callback(llm.close)
            work, data = stack.enter_context(anonymous_session(episode_dir, prepared.data_dir, config.sandbox.work_mb))
            sandbox = make_sandbox(config.sandbox, work, data)
            stack.callback(sandbox.close)
            sandbox.start()
        except HarnessError as exc:
            trace.emit("run_end", stop_reason="setup_failed", error=str(exc))
            raise
        totals = Totals()
        summarizer = Summarizer(llm, totals, trace, config.seed)
        context = ContextBuilder(policy, config.policy, counter, summarizer)
        episode = Episode(
            run_id=run_id, task=task, prepared=prepared, context=context, llm=llm, sandbox=sandbox,
            budget=config.budget, trace=trace, seed=config.seed, meta=meta,
            protocol=protocol_for(config.tool_protocol, config.model, config.scaffold.all_blocks),
            tool_names=list(config.tools), totals=totals,
        )  # fmt: skip
        result = episode.run(lambda e: mode(e, config.scaffold))
    result.links = trace.links
    if trace_path.is_relative_to(episode_dir):
        result.trace_path = kept_in / trace_path.relative_to(episode_dir)
    partial = episode_dir / "result.json.partial"
    partial.write_text(json.dumps(result.to_record(), indent=2))
    partial.replace(episode_dir / "result.json")  # its presence means: this episode finished
    return result
