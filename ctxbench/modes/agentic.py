"""agentic: a ReAct loop. The model chooses each step: run code, or submit a final answer."""

from ctxbench.episode import MODES, Episode
from ctxbench.protocols.text import FORMAT_HELP, SYSTEM_PROMPT, parse_reply

ERROR_HELP = "The code failed. Reply with a corrected, complete ```python block that fixes this error."
TRUNCATED_HELP = "Your reply was cut off at the token limit before it contained a complete code block. "


@MODES.register("agentic")
def run_agentic(episode: Episode) -> None:
    episode.add("system", SYSTEM_PROMPT)
    episode.add("task", episode.prepared.prompt)
    while True:
        episode.check_budget()
        reply = episode.query()
        action = parse_reply(reply.text)
        if action.is_empty:
            cut = reply.finish_reason == "length"
            episode.feedback("truncated" if cut else "no_action", (TRUNCATED_HELP if cut else "") + FORMAT_HELP)
            continue
        if action.code is not None:
            result = episode.execute(action.code)
            observation = "Output of your code:\n" + result.render()
            if action.extra_blocks:
                observation += f"\n[only the first code block was run; {action.extra_blocks} more were ignored]"
            if result.outcome != "ok":
                observation += "\n" + ERROR_HELP
            if action.final_answer is not None and result.outcome != "ok":
                observation += " (Your FINAL_ANSWER was ignored because the code failed.)"
            episode.add("observation", observation, outcome=result.outcome, stdout=result.stdout, error=result.error)
            if result.outcome != "ok":
                continue
        if action.final_answer is not None:
            episode.submit(action.final_answer)
