"""One episode: the state a reasoning mode drives (history, budgets, totals) and its trace.

Control flow follows mini-swe-agent: a mode runs until it raises Submitted or LimitsExceeded; the
episode grades whatever was submitted and closes its trace in a `finally`, so a crash loses nothing.
"""

import ast
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from benchmarks.base import AnswerError, PreparedTask, Score, Task
from context_policies.base import ContextBuilder
from ctxbench.accounting import Totals
from ctxbench.budget import BudgetConfig
from ctxbench.errors import HARNESS_ERROR, UNSCORED_STOP_REASONS, ContextOverflow, InfrastructureError, OpeningOverflow
from ctxbench.events import Event, EventKind
from ctxbench.llm.base import LLMBackend, LLMReply
from ctxbench.protocols.base import ToolProtocol
from ctxbench.sandbox.base import CellResult, Sandbox
from ctxbench.sandbox.shell import run_shell
from ctxbench.search import BM25Index, document_entries
from ctxbench.tools import ToolContext
from ctxbench.tracing.jsonl import TraceWriter


def clarification_note(question: str, answer: str) -> str:
    """How an answered question is shown to the model, pinned after the task, from then on."""
    return f"Clarification. Q: {question.strip()}\nA: {answer}"


def top_level_statements(code: str) -> list[ast.stmt]:
    """A cell's top-level statements; none for code that does not parse (hostile code included)."""
    try:
        return ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


FUNCTION = ast.FunctionDef | ast.AsyncFunctionDef


def top_level_definitions(code: str) -> list[str]:
    """The functions and classes a cell defines at its top level."""
    return [node.name for node in top_level_statements(code) if isinstance(node, FUNCTION | ast.ClassDef)]


def named_definition(text: str) -> str:
    """The name a submission gives instead of code (`below_zero`, `below_zero()`), else ''."""
    name = text.strip().strip("`'\"").removesuffix("()")
    return name if name.isidentifier() else ""


class EpisodeEnded(Exception):
    """Raised by a mode to end the episode; `reason` goes into the trace and the result, `detail`
    (what the model server said, for a context overflow) into the result's error."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


class Submitted(EpisodeEnded):
    def __init__(self) -> None:
        super().__init__("final_answer")


class TargetReached(EpisodeEnded):
    def __init__(self) -> None:
        super().__init__("target_reached")


class LimitsExceeded(EpisodeEnded):
    pass


@dataclass
class EpisodeResult:
    run_id: str
    stop_reason: str
    score: Score | None  # None: a harness failure ended the episode, so it is not scored
    totals: Totals
    wall_time_s: float
    trace_path: Path
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)  # the trace in Phoenix's UI

    def to_record(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "stop_reason": self.stop_reason,
            "score": self.score.to_record() if self.score else None, "harness_failure": self.score is None,
            "totals": asdict(self.totals), "wall_time_s": self.wall_time_s,
            "trace_path": str(self.trace_path), "error": self.error, "links": self.links, **self.meta,
        }  # fmt: skip


class Episode:
    def __init__(
        self, *, run_id: str, task: Task, prepared: PreparedTask, context: ContextBuilder, llm: LLMBackend,
        sandbox: Sandbox, budget: BudgetConfig, trace: TraceWriter, seed: int, meta: dict[str, Any],
        protocol: ToolProtocol, tool_names: list[str], totals: Totals,
    ) -> None:  # fmt: skip
        self.protocol, self.tool_names = protocol, tool_names
        self.run_id, self.task, self.prepared = run_id, task, prepared
        self.context, self.llm, self.sandbox = context, llm, sandbox
        self.budget, self.trace, self.seed, self.meta = budget, trace, seed, meta
        self.history: list[Event] = []
        self.totals = totals  # shared with the summarizer the context builder calls
        self.started = time.monotonic()
        self.answer: BaseModel | None = None  # what gets graded: the valid submission, or the best proposal
        self.clarifications: dict[str, str] = {}  # question -> answer, shown pinned from then on
        # name -> the newest cell run that defines it: a code answer may be given by name (the 0.5B
        # model ran a correct function, then could not resend it after FINAL_ANSWER:). A cell counts
        # even if it failed later on (on the model's own wrong asserts, say): its code is what is graded.
        self.definitions: dict[str, str] = {}
        self.tools = ToolContext(sandbox.workdir, self.execute, self.shell, self.submit, self.clarify,
                                 self.search_history, answer_file_asked=self.asked_answer_file is not None)  # fmt: skip
        self._search = BM25Index()

    @property
    def asked_answer_file(self) -> Path | None:
        """The file the task's prompt asks the answer to be written to (smoke_sum's answer may be the
        number itself, and a code answer is no file: None)."""
        name = self.task.answer_text
        asked = not self.task.code_answer and f"/work/{name}" in self.prepared.prompt
        return self.sandbox.workdir / name if asked else None

    # --- what modes call -------------------------------------------------------------------

    def add(self, kind: EventKind, content: str, **meta: Any) -> Event:
        """Appends to the history; the trace gets the event too, so a policy can be replayed on it."""
        event = Event(kind, content, self.totals.steps, meta)
        self.history.append(event)
        self.trace.emit("event", kind=kind, content=content, step=event.step, meta=meta)
        return event

    def check_budget(self) -> None:
        b = self.budget
        if self.totals.steps >= b.max_steps:
            raise LimitsExceeded("max_steps")
        if self.totals.all_tokens >= b.episode_tokens:
            raise LimitsExceeded("episode_tokens")
        if time.monotonic() - self.started >= b.wall_time_s:
            raise LimitsExceeded("wall_time")
        if b.max_cost_usd is not None and self.totals.cost_usd >= b.max_cost_usd:
            raise LimitsExceeded("max_cost")

    def query(
        self, tools: list[dict[str, Any]] | None = None, temperature: float | None = None,
        shown: Callable[[LLMReply], str | None] | None = None,
    ) -> LLMReply:  # fmt: skip
        """Builds the context with the policy, calls the model, records both (temperature: this
        call's, None for the configured one). shown: what of the reply the history keeps, when not
        its text; "" keeps no turn at all for a reply without tool calls (the trace's llm_call keeps
        the whole reply either way)."""
        notes = [clarification_note(q, a) for q, a in self.clarifications.items()]
        building = time.monotonic()
        try:
            view = self.context.build(self.history, notes)
            build_s = time.monotonic() - building  # a summarizer's call included: the Phoenix context span's length
            # A distinct but reproducible sampling seed per step, so a retry is not the same sample.
            seed = self.seed * 10_000 + self.totals.steps
            reply = self.llm.generate(view.messages, seed=seed, tools=tools, temperature=temperature)
        except ContextOverflow as exc:
            raise self._overflowed(exc) from exc
        self.totals.charge_agent(reply)
        self.trace.emit("llm_call", step=self.totals.steps, context=view.record, messages=view.messages,
                        reply=reply.to_record(), temperature=temperature, context_build_s=build_s)  # fmt: skip
        calls = [c.to_message_part() for c in reply.tool_calls]
        kept = shown(reply) if shown else None
        if kept == "" and not calls:
            return reply
        self.add("assistant", kept or reply.text, **({"tool_calls": calls} if calls else {}))
        return reply

    def _overflowed(self, exc: ContextOverflow) -> Exception:
        """A context that outgrew the window ends the episode as a spent budget (scored: the policy
        let it grow); one that never fit, at the first call, is the configuration's (errors.py)."""
        if self.totals.steps == 0:
            return OpeningOverflow(f"{exc} (the task's opening alone: raise model.n_ctx)")
        return LimitsExceeded(ContextOverflow.stop_reason, detail=str(exc))

    def execute(self, code: str) -> CellResult:
        result = self._counted(code, self.sandbox.run_cell(code))
        if self.task.code_answer:  # only a code answer is ever given by name
            self.definitions.update(dict.fromkeys(top_level_definitions(code), code))
        return result

    def shell(self, command: str) -> CellResult:
        """A bash command, run as a cell of the session (ctxbench/sandbox/shell.py), traced as itself."""
        return self._counted(command, run_shell(self.sandbox, command), shell=True)

    def _counted(self, code: str, result: CellResult, **meta: Any) -> CellResult:
        self.totals.cells += 1
        self.totals.failed_cells += result.outcome != "ok"
        self.totals.exec_s += result.duration_s
        self.trace.emit("exec", step=self.totals.steps, code=code, **meta, **result.to_record())
        return result

    def run_for_scaffold(self, event: str, code: str, **meta: Any) -> CellResult:
        """A cell the harness runs in the agent's session for its scaffolding (preload, key_hint):
        traced as `event`, its seconds charged to the scaffolding, never counted as the agent's cell."""
        result = self.sandbox.run_cell(code)
        self.totals.scaffold_exec_s += result.duration_s
        self.trace.emit(event, step=self.totals.steps, code=code, **meta, **result.to_record())
        return result

    def count_malformed(self, kind: str) -> None:
        self.totals.format_errors += 1
        self.totals.malformed[kind] = self.totals.malformed.get(kind, 0) + 1

    def feedback(self, kind: str, message: str, tool_call_id: str | None = None) -> None:
        """A malformed reply: counted by kind, traced, and told to the model."""
        self.count_malformed(kind)
        self._told(kind, message, tool_call_id)

    def refuse_repeat(self, message: str, tool_call_id: str | None = None) -> None:
        """A reply identical to an earlier one, not run (scaffold.repeat_guard): a well-formed reply,
        counted apart from malformed ones. Told to the model unless the newest message already is such
        a note with no reply of the model's kept after it: the repeat is not kept either, so its
        context is unchanged, and a second note stacked below the first named a step the model
        could not see (26 of 35 agentic ladder episodes ended on three or more notes in a row)."""
        self.totals.repeats += 1
        last = self.history[-1] if self.history else None
        told = last is not None and last.meta.get("feedback_kind") == "repeated"
        if tool_call_id is None and told:
            self.trace.emit("feedback", step=self.totals.steps, kind="repeated", message=message, shown=False)
            return
        self._told("repeated", message, tool_call_id)

    def _told(self, kind: str, message: str, tool_call_id: str | None) -> None:
        self.trace.emit("feedback", step=self.totals.steps, kind=kind, message=message)
        self.add("feedback", message, feedback_kind=kind, **({"tool_call_id": tool_call_id} if tool_call_id else {}))

    def read_answer(self, text: str) -> BaseModel:
        """The task's reading of a submission. Whatever the reading raises is the answer's fault, an
        AnswerError: an answer that breaks the parser must not turn into an unscored harness failure."""
        try:
            return self.task.parse_answer(text, self.sandbox.workdir)
        except AnswerError:
            raise
        except Exception as exc:
            raise AnswerError(f"the answer could not be read ({type(exc).__name__}: {exc})"[:500]) from exc

    def submit(self, text: str, auto: bool = False) -> None:
        """Validates a final answer: raises Submitted, or AnswerError (counted) for the model to see.
        A code answer given by a name the agent's code defined is the newest cell that defined it.
        auto: submitted by the harness when the budget ended (scaffold.autosubmit), never counted as
        the agent's invalid answer."""
        name = named_definition(text) if self.task.code_answer else ""
        code = self.definitions.get(name)
        marks = ({"submitted_cell_of": name} if code else {}) | ({"auto": True} if auto else {})
        try:
            answer = self.read_answer(code or text)
        except AnswerError as exc:
            self.totals.invalid_answers += not auto
            self.trace.emit("final_answer", step=self.totals.steps, raw=text, valid=False, error=str(exc), **marks)
            raise
        self.trace.emit("final_answer", step=self.totals.steps, raw=text, valid=True, **marks)
        self.answer = answer
        raise Submitted()

    def clarify(self, question: str) -> str:
        """Answers from the task's clarifier notes; an answer is kept and shown pinned from then on."""
        known = next((a for q, a in self.clarifications.items() if q.lower() == question.strip().lower()), None)
        answer = known or self.task.clarify(question)
        if known is None:
            self.clarifications[question.strip()] = answer
        self.trace.emit("clarification", step=self.totals.steps, question=question, answer=answer, reused=bool(known))
        return answer

    def search_history(self, query: str, k: int = 3) -> str:
        """BM25 over this episode's earlier events and the task's documents."""
        earlier = [e for e in self.history if e.kind not in ("system", "task") and e.step < self.totals.steps]
        corpus = [f"[step {e.step} {e.kind}]\n{e.content}" for e in earlier]
        corpus += document_entries(self.prepared.documents)
        hits = self._search.search(corpus, query, k)
        self.trace.emit("retrieve", step=self.totals.steps, query=query, hits=hits)
        return "\n---\n".join(corpus[h][:1500] for h in hits) if hits else "no matches"

    # --- the run ---------------------------------------------------------------------------

    def run(self, mode: Callable[["Episode"], None]) -> EpisodeResult:
        """Runs the mode (its options bound) to its end. Whatever else stops it is the harness's
        failure (an API or a model server down, an opening that does not fit the window, a bug):
        recorded with its own stop reason, never scored."""
        stop_reason, error = HARNESS_ERROR, None
        try:
            mode(self)
            stop_reason = "mode_finished"
        except EpisodeEnded as ended:
            stop_reason, error = ended.reason, ended.detail
        except InfrastructureError as exc:
            stop_reason, error = exc.stop_reason, str(exc)
        except KeyboardInterrupt:
            stop_reason, error = "interrupted", "interrupted by the user"
            raise
        except Exception as exc:  # a bug or a broken part must not read as the agent's 0
            error = f"{type(exc).__name__}: {exc}"
            self.trace.emit("harness_error", step=self.totals.steps, error=error, traceback=traceback.format_exc())
        finally:
            result = self._finish(stop_reason, error, scored=stop_reason not in UNSCORED_STOP_REASONS)
        return result

    def _finish(self, stop_reason: str, error: str | None, scored: bool) -> EpisodeResult:
        score = self.task.grade(self.answer) if scored else None
        wall = time.monotonic() - self.started
        if score is not None:
            self.trace.emit("score", **score.to_record())
        self.trace.emit("run_end", stop_reason=stop_reason, error=error, wall_time_s=wall, totals=asdict(self.totals),
                        scored=scored)  # fmt: skip
        return EpisodeResult(self.run_id, stop_reason, score, self.totals, wall, self.trace.path, error, self.meta)
