"""agentic: a ReAct loop. Each step the model picks a tool (run code, look at files, search its
history, ask a clarifying question) until it submits a valid final answer or a budget is spent."""

import contextlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from benchmarks.base import AnswerError
from ctxbench.episode import Episode, LimitsExceeded, Submitted
from ctxbench.errors import HarnessError
from ctxbench.llm.base import LLMReply
from ctxbench.modes.base import MODES
from ctxbench.modes.scaffold import (
    ERROR_FIRST,
    LOOKED_UP,
    WORKED_EXAMPLE,
    RepeatGuard,
    ScaffoldConfig,
    error_summary,
    failure_of,
    file_version,
    missing_key,
    preload_code,
    preload_note,
    reply_identity,
    silence_note,
    submit_function_note,
    submit_note,
    where_is_key_code,
)
from ctxbench.protocols import Call, Parsed
from ctxbench.sandbox.base import CellResult
from ctxbench.tools import TOOLS


@MODES.register("agentic")
def run_agentic(episode: Episode, scaffold: ScaffoldConfig) -> None:
    try:
        loop(episode, scaffold)
    except LimitsExceeded:
        if scaffold.autosubmit:
            autosubmit(episode)
        raise


def autosubmit(episode: Episode) -> None:
    """The budget ended with no answer accepted: the harness submits what the agent left (the newest
    cell defining the answer function, or the answer file), as SWE-agent does on exit."""
    task = episode.task
    left = task.answer_function if task.code_answer else task.answer_text
    if left:
        with contextlib.suppress(Submitted, AnswerError):  # traced either way; an invalid one is no answer
            episode.submit(left, auto=True)


def loop(episode: Episode, scaffold: ScaffoldConfig) -> None:
    protocol, tools = episode.protocol, episode.tool_names
    example = WORKED_EXAMPLE if scaffold.worked_example and protocol.name == "text" else ""
    primer = "\n" + episode.task.primer_text() if scaffold.primer and episode.task.primer else ""
    imports = scaffold.imports(episode.task.preload)
    if imports:
        preload(episode, imports)
    instructions = protocol.system_prompt(tools) + preload_note(imports) + primer + example
    for opening_kind, content in scaffold.opening(instructions, episode.prepared.prompt):
        episode.add(opening_kind, content)
    schemas = protocol.tool_schemas(tools)
    guard, failed = RepeatGuard(), False
    while True:
        episode.check_budget()
        reply = episode.query(schemas, temperature=scaffold.retry_temperature if failed else None,
                              shown=guard.shown if scaffold.repeat_guard else None)  # fmt: skip
        episode.tools.last_result = episode.tools.last_rejection = None
        if scaffold.repeat_guard and (earlier := guard.earlier(reply_identity(reply))):
            answer_repeat(episode, reply, earlier.note())
            failed = True
            continue
        parsed = protocol.parse(reply, tools)
        for problem in parsed.problems:
            episode.feedback(problem.kind, problem.message, problem.tool_call_id)
        run_calls(episode, parsed, scaffold)
        last = episode.tools.last_result
        failure = failure_of(last, episode.tools.last_rejection, [problem.message for problem in parsed.problems])
        guard.remember(reply_identity(reply), episode.totals.steps, failure, last)
        failed = failure is not None


def answer_repeat(episode: Episode, reply: LLMReply, note: str) -> None:
    """A repeated reply is not run: the note says what became of it, answering its tool call (every
    call needs an answer by its id, the ones beyond the first too)."""
    ids: list[str | None] = [call.id for call in reply.tool_calls] or [None]
    first, *extra = ids
    episode.refuse_repeat(note, first)
    for call_id in extra:
        episode.feedback("extra_call", "Not run: call one tool per reply.", call_id)


def preload(episode: Episode, imports: list[str]) -> None:
    """The scaffold's imports, run by the harness before the first step (traced, not the agent's cell)."""
    result = episode.run_for_scaffold("preload", preload_code(imports))
    if result.outcome != "ok":
        raise HarnessError(f"scaffold.preload failed: {result.render()[-300:]}")


IGNORED_ANSWER = "Your FINAL_ANSWER was not taken: the code before it failed."


def run_calls(episode: Episode, parsed: Parsed, scaffold: ScaffoldConfig) -> None:
    """Runs a reply's calls in order. A tool call (native protocol) is answered by its id; a text
    reply's calls are answered in one message whose last line is what to do next: stacked small
    messages were answered one by one, the last alone (the 0.5B resent "FINAL_ANSWER: ..." or wrote
    "FINAL_ANSWER does not exist." after a last message saying its answer was ignored)."""
    answers: list[Answer] = []
    first_result: CellResult | None = None
    try:
        for index, call in enumerate(parsed.calls):
            last = episode.tools.last_result
            if call.name == "final_answer" and index > 0 and last and last.outcome != "ok":
                answer = Answer(IGNORED_ANSWER)
            else:
                answer = run_tool(episode, call, scaffold)  # final_answer raises Submitted when the answer is valid
            if index == 0:
                first_result = episode.tools.last_result
                answer.text += "".join("\n" + note for note in parsed.notes)
            if call.id:
                observe(episode, call, one_answer([answer]))
            else:
                answers.append(answer)
    finally:
        if answers:
            observe(episode, parsed.calls[0], one_answer(answers), first_result)


@dataclass
class Answer:
    """What a call is answered with: its text, and what to do next (said last, after every call's text)."""

    text: str
    next_step: str = ""


def one_answer(answers: list[Answer]) -> str:
    """The answers to a reply's calls as one message, what to do next on its last lines."""
    return "\n".join([a.text for a in answers] + [a.next_step for a in answers if a.next_step])


def run_tool(episode: Episode, call: Call, scaffold: ScaffoldConfig) -> Answer:
    tool = TOOLS.get(call.name)()
    try:
        args = tool.args.model_validate(call.args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
        episode.count_malformed("invalid_args")
        return Answer(f"Invalid arguments for {call.name}: {problems}")
    episode.tools.last_result = None
    watched = watched_answer(episode, scaffold)
    before = file_version(watched) if watched else None
    try:
        text = tool.run(episode.tools, args)
    except (ValueError, OSError) as exc:  # a missing file, a path outside /work, ...
        return Answer(f"[{call.name} failed] {exc}")
    result = episode.tools.last_result
    if result is not None and result.outcome != "ok":
        hint = key_hint(episode, result) if scaffold.key_hint else ""
        if scaffold.error_first:
            text = f"{ERROR_FIRST}{error_summary(result)}\n{hint}\n{text}"
        elif hint:
            text += "\n" + hint
        return Answer(text, episode.protocol.error_help)
    if result is not None:
        text += notes_on_success(episode, scaffold, call.args.get("code", ""), result, watched, before)
    return Answer(text)


def key_hint(episode: Episode, result: CellResult) -> str:
    """Where a KeyError's key is in the session's AnnData objects, found by a harness cell (traced,
    not counted as the agent's); empty when the error is another or the lookup says nothing."""
    key = missing_key(result)
    if key is None:
        return ""
    probe = episode.run_for_scaffold("scaffold_probe", where_is_key_code(key), piece="key_hint")
    return f"{LOOKED_UP} {probe.stdout.strip()}\n" if probe.outcome == "ok" and probe.stdout.strip() else ""


def watched_answer(episode: Episode, scaffold: ScaffoldConfig) -> Path | None:
    """The answer file submit_hint watches (None: the piece is off, or the answer is code itself)."""
    if not scaffold.submit_hint or episode.task.code_answer:
        return None
    return episode.sandbox.workdir / episode.task.answer_text


def notes_on_success(episode: Episode, scaffold: ScaffoldConfig, code: str, result: CellResult,
                     watched: Path | None, before: tuple[int, int] | None) -> str:  # fmt: skip
    """Notes after a cell that ran: what it printed (or did not), and the answer it made ready."""
    notes = []
    if scaffold.silence_hint and (note := silence_note(code, result, episode.asked_answer_file)):
        notes.append(note)
    if watched and watched.is_file() and file_version(watched) != before:  # the cell has just written it
        problem = answer_problem(episode, watched)
        notes.append(submit_note(watched, problem))
        if problem is not None:  # the step failed: a repeat of it is told so, not "take the next step, or submit"
            episode.tools.last_rejection = f"/work/{watched.name} as written: {problem}"
    function = episode.task.answer_function
    # Only a cell that defines it gets the note: the episode read the cell's names once, when it ran.
    defines = function is not None and episode.definitions.get(function) == code
    if scaffold.submit_hint and function and defines and (note := submit_function_note(function, result)):
        notes.append(note)
    return "".join("\n" + note for note in notes)


def answer_problem(episode: Episode, path: Path) -> str | None:
    """Why the task would refuse the answer file as it is, if it would (what a submission is told)."""
    try:
        episode.read_answer(path.name)
    except AnswerError as exc:
        return str(exc)
    return None


def observe(episode: Episode, call: Call, text: str, result: CellResult | None = None) -> None:
    result = (result or episode.tools.last_result) if call.name == "run_python" else None
    meta = {"tool": call.name, "outcome": result.outcome if result else "ok",
            "stdout": result.stdout if result else text, "error": result.error if result else None}  # fmt: skip
    if call.id:
        meta["tool_call_id"] = call.id
    episode.add("observation", text, **meta)
