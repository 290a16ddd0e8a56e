"""agentic: a ReAct loop. Each step the model picks a tool (run code, look at files, search its
history, ask a clarifying question) until it submits a valid final answer or a budget is spent."""

import time

from pydantic import ValidationError

from ctxbench.episode import Episode
from ctxbench.errors import HarnessError
from ctxbench.modes.base import MODES
from ctxbench.modes.scaffold import (
    WORKED_EXAMPLE,
    RepeatGuard,
    ScaffoldConfig,
    error_summary,
    failure_of,
    silence_note,
    submit_note,
)
from ctxbench.protocols import Call, Parsed
from ctxbench.sandbox.base import CellResult
from ctxbench.tools import TOOLS

MTIME_SLACK_S = 1.0  # file times may be rounded; a file written just before the cell is no harm to name
ERROR_HELP = "The code failed. Reply with a corrected, complete ```python block that fixes this error."


@MODES.register("agentic")
def run_agentic(episode: Episode, scaffold: ScaffoldConfig) -> None:
    protocol, tools = episode.protocol, episode.tool_names
    example = WORKED_EXAMPLE if scaffold.worked_example and protocol.name == "text" else ""
    primer = "\n" + episode.task.primer if scaffold.primer and episode.task.primer else ""
    episode.add("system", protocol.system_prompt(tools) + scaffold.preload_note() + primer + example)
    if scaffold.preload:
        preload(episode, scaffold)
    episode.add("task", episode.prepared.prompt)
    schemas = protocol.tool_schemas(tools)
    guard, failed = RepeatGuard(), False
    while True:
        episode.check_budget()
        reply = episode.query(schemas, temperature=scaffold.retry_temperature if failed else None,
                              shown=guard.placeholder if scaffold.repeat_guard else None)  # fmt: skip
        episode.tools.last_result = episode.tools.last_rejection = None
        if scaffold.repeat_guard and (earlier := guard.earlier(reply.text)):
            episode.feedback("repeated", earlier.note())
            failed = True
            continue
        parsed = protocol.parse(reply, tools)
        for problem in parsed.problems:
            episode.feedback(problem.kind, problem.message, problem.tool_call_id)
        run_calls(episode, parsed, scaffold)
        last = episode.tools.last_result
        failure = failure_of(last, episode.tools.last_rejection, [problem.message for problem in parsed.problems])
        guard.remember(reply.text, episode.totals.steps, failure, last)
        failed = failure is not None


def preload(episode: Episode, scaffold: ScaffoldConfig) -> None:
    """The scaffold's imports, run by the harness before the first step (traced, not the agent's cell)."""
    result = episode.sandbox.run_cell(scaffold.preload_code())
    episode.trace.emit("preload", code=scaffold.preload_code(), **result.to_record())
    if result.outcome != "ok":
        raise HarnessError(f"scaffold.preload failed: {result.render()[-300:]}")


def run_calls(episode: Episode, parsed: Parsed, scaffold: ScaffoldConfig) -> None:
    for index, call in enumerate(parsed.calls):
        last = episode.tools.last_result
        if call.name == "final_answer" and index > 0 and last and last.outcome != "ok":
            observe(episode, call, "Your FINAL_ANSWER was ignored because the code before it failed.")
            continue
        text = run_tool(episode, call, scaffold)  # final_answer raises Submitted when the answer is valid
        if index == 0 and parsed.notes:
            text += "\n" + "\n".join(parsed.notes)
        observe(episode, call, text)


def run_tool(episode: Episode, call: Call, scaffold: ScaffoldConfig) -> str:
    tool = TOOLS.get(call.name)()
    try:
        args = tool.args.model_validate(call.args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
        episode.count_malformed("invalid_args")
        return f"Invalid arguments for {call.name}: {problems}"
    episode.tools.last_result = None
    started = time.time() - MTIME_SLACK_S
    try:
        text = tool.run(episode.tools, args)
    except (ValueError, OSError) as exc:  # a missing file, a path outside /work, ...
        return f"[{call.name} failed] {exc}"
    result = episode.tools.last_result
    if result is not None and result.outcome != "ok":
        text += "\n" + ERROR_HELP
        if scaffold.error_first:
            text = f"Your code failed: {error_summary(result)}\n\n{text}"
    elif result is not None:
        text += notes_on_success(episode, scaffold, call.args.get("code", ""), result, started)
    return text


def notes_on_success(episode: Episode, scaffold: ScaffoldConfig, code: str, result: CellResult, started: float) -> str:
    notes = []
    if scaffold.silence_hint and (note := silence_note(code, result)):
        notes.append(note)
    task, workdir = episode.task, episode.sandbox.workdir
    if scaffold.submit_hint and not task.code_answer and (note := submit_note(workdir, task.answer_text, started)):
        notes.append(note)
    return "".join("\n" + note for note in notes)


def observe(episode: Episode, call: Call, text: str) -> None:
    result = episode.tools.last_result if call.name == "run_python" else None
    meta = {"tool": call.name, "outcome": result.outcome if result else "ok",
            "stdout": result.stdout if result else text, "error": result.error if result else None}  # fmt: skip
    if call.id:
        meta["tool_call_id"] = call.id
    episode.add("observation", text, **meta)
