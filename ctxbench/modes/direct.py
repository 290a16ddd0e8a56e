"""direct: what the model does alone, the reference the other modes are measured against. One
greedy call (temperature 0; `model.direct_temperature` draws samples instead, for pass@k) with the
task's plain prompt: for HumanEval, the instruction of the evaluation behind the Qwen2.5-Coder
report's figures (EvalPlus's). No tools, no feedback, no second try. A code answer is the reply's
code; otherwise that code runs once in the sandbox and the task's answer file is what is submitted."""

import contextlib
import re

from benchmarks.base import AnswerError
from ctxbench.episode import Episode
from ctxbench.modes.base import MODES
from ctxbench.modes.scaffold import ScaffoldConfig
from ctxbench.protocols.text import CODE_BLOCK

OPEN_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*)", re.DOTALL | re.IGNORECASE)


@MODES.register("direct")
def run_direct(episode: Episode, scaffold: ScaffoldConfig) -> None:  # no scaffolding: the model alone
    task = episode.task
    episode.add("task", task.direct_prompt(episode.prepared))
    episode.check_budget()
    code = reply_code(episode.query(temperature=episode.llm.config.direct_temperature).text)
    if not code.strip():
        episode.feedback("no_action", "The reply had no code.")
        return
    if task.code_answer:
        submission = code
    else:
        result = episode.execute(code)
        episode.add("observation", result.render(), outcome=result.outcome, stdout=result.stdout, error=result.error)
        submission = task.answer_text
    with contextlib.suppress(AnswerError):  # counted and traced by submit; graded as no answer
        episode.submit(submission)  # raises Submitted when valid


def reply_code(text: str) -> str:
    """The first fenced block that defines something, else the first block, else what follows an
    unclosed fence (a reply cut at the token limit), else the reply itself (bare code)."""
    blocks = [b for b in CODE_BLOCK.findall(text) if b.strip()]
    defining = [b for b in blocks if "def " in b]
    unclosed = OPEN_FENCE.search(text)
    return (defining or blocks or [unclosed.group(1) if unclosed else text])[0]
