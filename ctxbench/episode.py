"""One episode: the state a reasoning mode drives (history, budgets, totals) and its trace.

Control flow follows mini-swe-agent: a mode runs until it raises Submitted or LimitsExceeded; the
episode grades whatever was submitted and closes its trace in a `finally`, so a crash loses nothing.
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from benchmarks.base import AnswerError, PreparedTask, Score, Task
from context_policies.base import ContextBuilder
from ctxbench.budget import BudgetConfig
from ctxbench.errors import HarnessError
from ctxbench.events import Event, EventKind, Message
from ctxbench.llm.base import LLMBackend, LLMReply
from ctxbench.registry import Registry
from ctxbench.sandbox.base import CellResult, Sandbox
from ctxbench.tracing.jsonl import TraceWriter


class Submitted(Exception):
    def __init__(self, answer: BaseModel) -> None:
        super().__init__("submitted")
        self.answer = answer


class LimitsExceeded(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Totals:
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    llm_latency_s: float = 0.0
    exec_s: float = 0.0
    cells: int = 0
    failed_cells: int = 0
    format_errors: int = 0
    invalid_answers: int = 0
    summarizer_calls: int = 0
    summarizer_prompt_tokens: int = 0
    summarizer_completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        """Every token spent, the summarizer's included (budgets count it)."""
        return (
            self.prompt_tokens
            + self.completion_tokens
            + self.summarizer_prompt_tokens
            + self.summarizer_completion_tokens
        )


@dataclass
class EpisodeResult:
    run_id: str
    stop_reason: str
    score: Score
    totals: Totals
    wall_time_s: float
    trace_path: Path
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "stop_reason": self.stop_reason, "score": self.score.to_record(),
            "totals": asdict(self.totals), "wall_time_s": self.wall_time_s,
            "trace_path": str(self.trace_path), "error": self.error, **self.meta,
        }  # fmt: skip


class Episode:
    def __init__(
        self, *, run_id: str, task: Task, prepared: PreparedTask, context: ContextBuilder, llm: LLMBackend,
        sandbox: Sandbox, budget: BudgetConfig, trace: TraceWriter, seed: int, meta: dict[str, Any],
    ) -> None:  # fmt: skip
        self.run_id, self.task, self.prepared = run_id, task, prepared
        self.context, self.llm, self.sandbox = context, llm, sandbox
        self.budget, self.trace, self.seed, self.meta = budget, trace, seed, meta
        self.history: list[Event] = []
        self.totals = Totals()
        self.started = time.monotonic()

    # --- what modes call -------------------------------------------------------------------

    def add(self, kind: EventKind, content: str, **meta: Any) -> Event:
        event = Event(kind, content, self.totals.steps, meta)
        self.history.append(event)
        return event

    def check_budget(self) -> None:
        b = self.budget
        if self.totals.steps >= b.max_steps:
            raise LimitsExceeded("max_steps")
        if self.totals.tokens >= b.max_tokens:
            raise LimitsExceeded("max_tokens")
        if time.monotonic() - self.started >= b.wall_time_s:
            raise LimitsExceeded("wall_time")

    def query(self) -> LLMReply:
        """Builds the context with the policy, calls the model, records both."""
        view = self.context.build(self.history)
        # A distinct but reproducible sampling seed per step, so a retry is not the same sample.
        reply = self.llm.generate(view.messages, seed=self.seed * 10_000 + self.totals.steps)
        t = self.totals
        t.steps += 1
        t.prompt_tokens += reply.usage.prompt_tokens
        t.completion_tokens += reply.usage.completion_tokens
        t.cached_tokens += reply.usage.cached_tokens or 0
        t.cost_usd += reply.cost_usd
        t.llm_latency_s += reply.latency_s
        self.trace.emit("llm_call", step=t.steps, context=view.record, messages=view.messages, reply=reply.to_record())
        self.add("assistant", reply.text)
        return reply

    def summarize(self, messages: list[Message], max_tokens: int) -> str:
        """The LLM call summarizing policies make; its tokens are counted apart from the agent's."""
        reply = self.llm.generate(messages, seed=self.seed, max_tokens=max_tokens)
        t = self.totals
        t.summarizer_calls += 1
        t.summarizer_prompt_tokens += reply.usage.prompt_tokens
        t.summarizer_completion_tokens += reply.usage.completion_tokens
        t.cost_usd += reply.cost_usd
        self.trace.emit("summarizer_call", step=t.steps, messages=messages, reply=reply.to_record())
        return reply.text

    def execute(self, code: str) -> CellResult:
        result = self.sandbox.run_cell(code)
        self.totals.cells += 1
        self.totals.failed_cells += result.outcome != "ok"
        self.totals.exec_s += result.duration_s
        self.trace.emit("exec", step=self.totals.steps, code=code, **result.to_record())
        return result

    def feedback(self, kind: str, message: str) -> None:
        """A malformed reply or invalid answer: counted, traced, and told to the model."""
        if kind == "invalid_answer":
            self.totals.invalid_answers += 1
        else:
            self.totals.format_errors += 1
        self.trace.emit("feedback", step=self.totals.steps, kind=kind, message=message)
        self.add("feedback", message, feedback_kind=kind)

    def submit(self, text: str) -> None:
        """Validates a final answer: raises Submitted, or feeds the validation error back."""
        try:
            answer = self.task.parse_answer(text, self.sandbox.workdir)
        except AnswerError as exc:
            self.trace.emit("final_answer", step=self.totals.steps, raw=text, valid=False, error=str(exc))
            self.feedback("invalid_answer", f"Your answer was not accepted: {exc}")
            return
        self.trace.emit("final_answer", step=self.totals.steps, raw=text, valid=True)
        raise Submitted(answer)

    # --- the run ---------------------------------------------------------------------------

    def run(self, mode: Callable[["Episode"], None]) -> EpisodeResult:
        answer: BaseModel | None = None
        stop_reason, error = "error", None
        try:
            mode(self)
            stop_reason = "mode_finished"
        except Submitted as done:
            answer, stop_reason = done.answer, "final_answer"
        except LimitsExceeded as limit:
            stop_reason = limit.reason
        except HarnessError as exc:
            error = str(exc)
        except KeyboardInterrupt:
            stop_reason, error = "interrupted", "interrupted by the user"
            raise
        finally:
            result = self._finish(answer, stop_reason, error)
        return result

    def _finish(self, answer: BaseModel | None, stop_reason: str, error: str | None) -> EpisodeResult:
        score = self.task.grade(answer)
        wall = time.monotonic() - self.started
        self.trace.emit("score", **score.to_record())
        self.trace.emit("run_end", stop_reason=stop_reason, error=error, wall_time_s=wall, totals=asdict(self.totals))
        return EpisodeResult(self.run_id, stop_reason, score, self.totals, wall, self.trace.path, error, self.meta)


MODES: Registry[Callable[[Episode], None]] = Registry("reasoning mode")
