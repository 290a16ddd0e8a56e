"""agentic: a ReAct loop. Each step the model picks a tool (run code, look at files, search its
history, ask a clarifying question) until it submits a valid final answer or a budget is spent."""

from pydantic import ValidationError

from ctxbench.episode import Episode
from ctxbench.modes.base import MODES
from ctxbench.protocols import Call, Parsed
from ctxbench.tools import TOOLS

ERROR_HELP = "The code failed. Reply with a corrected, complete ```python block that fixes this error."


@MODES.register("agentic")
def run_agentic(episode: Episode) -> None:
    protocol, tools = episode.protocol, episode.tool_names
    episode.add("system", protocol.system_prompt(tools))
    episode.add("task", episode.prepared.prompt)
    schemas = protocol.tool_schemas(tools)
    while True:
        episode.check_budget()
        parsed = protocol.parse(episode.query(schemas), tools)
        for problem in parsed.problems:
            episode.feedback(problem.kind, problem.message, problem.tool_call_id)
        run_calls(episode, parsed)


def run_calls(episode: Episode, parsed: Parsed) -> None:
    for index, call in enumerate(parsed.calls):
        last = episode.tools.last_result
        if call.name == "final_answer" and index > 0 and last and last.outcome != "ok":
            observe(episode, call, "Your FINAL_ANSWER was ignored because the code before it failed.")
            continue
        text = run_tool(episode, call)  # final_answer raises Submitted when the answer is valid
        if index == 0 and parsed.notes:
            text += "\n" + "\n".join(parsed.notes)
        observe(episode, call, text)


def run_tool(episode: Episode, call: Call) -> str:
    tool = TOOLS.get(call.name)()
    try:
        args = tool.args.model_validate(call.args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
        episode.count_malformed("invalid_args")
        return f"Invalid arguments for {call.name}: {problems}"
    episode.tools.last_result = None
    try:
        text = tool.run(episode.tools, args)
    except (ValueError, OSError) as exc:  # a missing file, a path outside /work, ...
        return f"[{call.name} failed] {exc}"
    if episode.tools.last_result is not None and episode.tools.last_result.outcome != "ok":
        text += "\n" + ERROR_HELP
    return text


def observe(episode: Episode, call: Call, text: str) -> None:
    result = episode.tools.last_result if call.name == "run_python" else None
    meta = {"tool": call.name, "outcome": result.outcome if result else "ok",
            "stdout": result.stdout if result else text, "error": result.error if result else None}  # fmt: skip
    if call.id:
        meta["tool_call_id"] = call.id
    episode.add("observation", text, **meta)
