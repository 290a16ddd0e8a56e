"""controller: the harness drives a fixed loop. Each iteration one model call returns a proposal
(code, or a JSON config, as the task defines); the harness runs it, measures it with the task's
agent-visible metric and feeds back every proposal's score. It stops after the iteration budget
(max_steps) or when the target is met; the best proposal's output is what gets graded."""

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from benchmarks.base import AnswerError, ControllerSpec, without_answer_section
from ctxbench.episode import Episode, TargetReached
from ctxbench.errors import HarnessError
from ctxbench.modes.base import MODES
from ctxbench.modes.scaffold import ScaffoldConfig
from ctxbench.protocols.text import CODE_BLOCK

JSON_BLOCK = re.compile(r"```(?:json)?[ \t]*\n(\{.*?\})[ \t]*\n?```|(\{.*\})", re.DOTALL)

SYSTEM_PROMPT = """\
You are a data analyst improving a solution step by step. Each reply is exactly one proposal, in the
form the task describes. The harness runs and scores every proposal and tells you the results.
Learn from the scores: keep what worked, fix what failed, try one improvement at a time.
"""


@dataclass
class Best:
    iteration: int
    value: float


@MODES.register("controller")
def run_controller(episode: Episode, scaffold: ScaffoldConfig) -> None:
    spec = episode.task.controller()
    if spec is None:
        raise HarnessError(f"task {episode.task.config.name!r} has no controller mode; use --reasoning-mode agentic")
    prompt = episode.prepared.prompt
    kept = episode.task.answer_format(prompt) if spec.keeps_answer_format else ""
    between = f"{kept}\n\n" if kept else ""
    task = f"{without_answer_section(prompt)}\n{between}{spec.instructions}"
    for opening_kind, content in scaffold.opening(SYSTEM_PROMPT, task):
        episode.add(opening_kind, content)
    scores: list[str] = []
    best: Best | None = None
    failed = False
    while True:
        episode.check_budget()
        proposal = extract(episode.query(temperature=scaffold.retry_temperature if failed else None).text, spec)
        failed = True  # until a proposal is measured
        if proposal is None:
            kind = "no code" if spec.proposal == "code" else "no JSON object"
            episode.feedback("no_action", f"Your reply had {kind}. Reply with exactly one proposal as described.")
            continue
        iteration = len(scores) + 1
        value, report = measure(episode, spec, iteration, proposal)
        answer = None
        if value is not None:
            answer, problem = parse(episode, spec, iteration)
            if answer is None:
                value, report = None, f"its output is not a valid answer: {problem}"
        failed = value is None
        scores.append(f"iteration {iteration}: {report}")
        if value is not None and (best is None or value > best.value):
            best = Best(iteration, value)
            episode.answer = answer  # the best proposal's output is what gets graded
        board = "\n".join(scores[-10:])
        lead = f"Best so far: iteration {best.iteration}, {spec.metric}={best.value:.4f}" if best else "No score yet."
        episode.add("observation", f"Results so far:\n{board}\n{lead} (target {spec.target}). Propose an improvement.",
                    outcome="ok" if value is not None else "error", stdout=report)  # fmt: skip
        if value is not None and value >= spec.target:
            raise TargetReached()


def extract(text: str, spec: ControllerSpec) -> str | None:
    if spec.proposal == "code":
        blocks = [b for b in CODE_BLOCK.findall(text) if b.strip()]
        return blocks[0] if blocks else None
    match = JSON_BLOCK.search(text)
    if match is None:
        return None
    candidate = match.group(1) or match.group(2)
    try:
        json.loads(candidate)
    except json.JSONDecodeError:
        return None
    return candidate


def measure(episode: Episode, spec: ControllerSpec, iteration: int, proposal: str) -> tuple[float | None, str]:
    """Runs the proposal and the task's measurement in a fresh session, then scores the raw outputs
    here; (metric value or None, what the model is told)."""
    episode.sandbox.restart()  # a new interpreter: nothing an earlier proposal patched survives
    raw_file = episode.sandbox.workdir / f"measure_{iteration}.json"
    raw_file.unlink(missing_ok=True)
    if spec.proposal == "code":
        result = episode.execute(spec.runnable(proposal))
        if result.outcome != "ok":
            return None, f"the proposal failed: {result.render()[-600:]}"
    try:
        if spec.probe is not None:
            metrics = spec.probe(episode.sandbox, iteration, proposal)
        else:
            assert spec.measure is not None
            result = episode.execute(spec.measure(iteration, proposal))
            if result.outcome != "ok":
                return None, f"measuring it failed: {result.render()[-600:]}"
            metrics = spec.score(json.loads(raw_file.read_text()))
        value = float(metrics[spec.metric])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, f"the measurement could not be scored ({type(exc).__name__}: {exc})"[:400]
    if not math.isfinite(value):  # NaN would never compare as better or worse: a failed measurement
        return None, f"{spec.metric} is {value}: the proposal could not be scored (check its parameters)"
    episode.trace.emit("proposal", step=episode.totals.steps, iteration=iteration, metrics=metrics)
    return value, ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())


def parse(episode: Episode, spec: ControllerSpec, iteration: int) -> tuple[Any, str]:
    """(the iteration's answer, "") or (None, why it is not valid)."""
    raw = spec.answer(iteration)
    try:
        answer = episode.read_answer(raw)
    except AnswerError as exc:
        episode.trace.emit("final_answer", step=episode.totals.steps, raw=raw, valid=False, error=str(exc))
        return None, str(exc)
    return answer, ""
